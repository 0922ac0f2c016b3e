// Accepted payments are handed to the core in batches: one hand-over per event-loop turn
// (or per INTAKE_FLUSH_MS), whatever the request rate, because each crossing to the core
// thread (and each nact message) has a cost of its own.
//
// Two promises (ACK_WHEN_DURABLE): by default a payment is answered 202 at once, before its
// batch reaches Redis (a crash in between loses it); with answers that wait, each batch
// carries an id and its payments are answered when the core says the claim landed (202) or
// failed (503). The waiting answers are bounded by the core's MAX_NOT_DURABLE: past it, new
// payments are refused before they get here.
import type { PaymentRequest } from '../domain/payment';
import type { PendingPayment } from '../domain/pending-payment';

/** Called once, when the payment's batch is durable in Redis (true) or its claim failed (false). */
export type DurableAnswer = (durable: boolean) => void;

export class PaymentIntake {
  private batch: PendingPayment[] = [];
  private answers: DurableAnswer[] = [];
  private scheduled = false;
  private nextBatch = 0;
  /** Batch id -> the answers waiting for it. */
  private readonly waiting = new Map<number, DurableAnswer[]>();

  constructor(
    private readonly deliver: (payments: PendingPayment[], batch?: number) => void,
    private readonly flushMs: number,
  ) {}

  /** Takes a payment; `answer`, when given, is called once its batch is durable (or not). */
  accept(payment: PaymentRequest, answer?: DurableAnswer): void {
    this.batch.push({ correlationId: payment.correlationId, amountCents: payment.amountCents, acceptedAt: Date.now() });
    if (answer) this.answers.push(answer);
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.flushMs > 0) setTimeout(this.flush, this.flushMs);
    else setImmediate(this.flush);
  }

  /** The core's word on a batch handed over with an id. */
  settled(batch: number, durable: boolean): void {
    const answers = this.waiting.get(batch);
    this.waiting.delete(batch);
    for (const answer of answers ?? []) answer(durable);
  }

  /** Answers still waiting for the core. */
  get unanswered(): number {
    let n = 0;
    for (const answers of this.waiting.values()) n += answers.length;
    return n;
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.batch.length === 0) return;
    const payments = this.batch;
    this.batch = [];
    if (this.answers.length === 0) return this.deliver(payments);
    const id = ++this.nextBatch;
    this.waiting.set(id, this.answers);
    this.answers = [];
    this.deliver(payments, id);
  };
}
