// What a simulator records: payments by correlationId, summed exactly in cents.

export interface StoredPayment {
  correlationId: string;
  amountCents: number;
  /** requestedAt as sent, in ms since the epoch. */
  requestedAtMs: number;
  /** When the simulator stored it (after its delay), in ms since the epoch; unset in stores' own tests. */
  storedAtMs?: number;
}

/** A payment stored later than its requestedAt plus some time: [requestedAtMs, storedAtMs]. */
export type LateRecord = [requestedAtMs: number, storedAtMs: number];

/** Most late records one answer lists: a bound on the answer, not on the store. */
export const MAX_LATE_RECORDS = 200_000;

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
  /** Payments stored more than `afterMs` after their requestedAt, oldest request first, at most `limit`. */
  late(afterMs: number, limit: number): Promise<LateRecord[]>;
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

  async late(afterMs: number, limit: number): Promise<LateRecord[]> {
    const out: LateRecord[] = [];
    for (const p of this.payments.values()) {
      if (p.storedAtMs === undefined || p.storedAtMs - p.requestedAtMs <= afterMs) continue;
      out.push([p.requestedAtMs, p.storedAtMs]);
    }
    return out.sort((a, b) => a[0] - b[0]).slice(0, limit);
  }

  async purge(): Promise<void> {
    this.payments.clear();
  }

  async close(): Promise<void> {}
}
