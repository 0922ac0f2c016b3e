// What a simulator records: payments by correlationId, summed exactly in cents.

export interface StoredPayment {
  correlationId: string;
  amountCents: number;
  /** requestedAt as sent, in ms since the epoch. */
  requestedAtMs: number;
}

export interface StoreSummary {
  count: number;
  cents: number;
}

export interface PaymentStore {
  /** 'duplicate' when the correlationId is already recorded (the official unique key). */
  insert(payment: StoredPayment): Promise<'inserted' | 'duplicate'>;
  find(correlationId: string): Promise<StoredPayment | null>;
  /** requestedAt BETWEEN from AND to, inclusive; with either bound missing, everything. */
  summary(fromMs: number | null, toMs: number | null): Promise<StoreSummary>;
  purge(): Promise<void>;
  close(): Promise<void>;
}

export class MemoryPaymentStore implements PaymentStore {
  private readonly payments = new Map<string, StoredPayment>();

  async insert(payment: StoredPayment): Promise<'inserted' | 'duplicate'> {
    if (this.payments.has(payment.correlationId)) return 'duplicate';
    this.payments.set(payment.correlationId, payment);
    return 'inserted';
  }

  async find(correlationId: string): Promise<StoredPayment | null> {
    return this.payments.get(correlationId) ?? null;
  }

  async summary(fromMs: number | null, toMs: number | null): Promise<StoreSummary> {
    let count = 0;
    let cents = 0;
    const all = fromMs === null || toMs === null;
    for (const p of this.payments.values()) {
      if (all || (p.requestedAtMs >= fromMs && p.requestedAtMs <= toMs)) {
        count++;
        cents += p.amountCents;
      }
    }
    return { count, cents };
  }

  async purge(): Promise<void> {
    this.payments.clear();
  }

  async close(): Promise<void> {}
}
