// Accepted payments are answered at once and handed to the supervisor in batches:
// one message per event-loop turn (or per INTAKE_FLUSH_MS), whatever the request rate,
// because each nact message costs a turn of its own.
import type { ActorRef } from './actors/actor-system';
import { tell } from './actors/actor-system';
import type { SupervisorMsg } from './actors/payment-supervisor';
import type { PaymentRequest } from './payment';
import type { PendingPayment } from './store/pending-payments';

export class PaymentIntake {
  private batch: PendingPayment[] = [];
  private scheduled = false;

  constructor(private readonly supervisor: ActorRef<SupervisorMsg>, private readonly flushMs: number) {}

  accept(payment: PaymentRequest): void {
    this.batch.push({ correlationId: payment.correlationId, amountCents: payment.amountCents, acceptedAt: Date.now() });
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.flushMs > 0) setTimeout(this.flush, this.flushMs);
    else setImmediate(this.flush);
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.batch.length === 0) return;
    const payments = this.batch;
    this.batch = [];
    tell(this.supervisor, { type: 'accepted', payments });
  };
}
