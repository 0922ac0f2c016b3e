// Accepted payments are answered at once and handed to the core in batches: one
// hand-over per event-loop turn (or per INTAKE_FLUSH_MS), whatever the request rate,
// because each crossing to the core thread (and each nact message) has a cost of its own.
import type { PaymentRequest } from './payment';
import type { PendingPayment } from './store/pending-payments';

export class PaymentIntake {
  private batch: PendingPayment[] = [];
  private scheduled = false;

  constructor(
    private readonly deliver: (payments: PendingPayment[]) => void,
    private readonly flushMs: number,
  ) {}

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
    this.deliver(payments);
  };
}
