// Assignments and ownership: a payment's processor and requestedAt are written before it is sent, and only while
// this instance still owns it; the same ownership is the fence before it is sent again.
import type { PendingPayment } from '../domain/pending-payment';
import { encode } from './pending-codec';
import type { PendingStore } from './pending-store';
import { ASSIGN_OWNED } from './pending-scripts';

export class Assignments {
  constructor(private readonly store: PendingStore) {}

  /** Writes assignments before the payments are sent; returns those still owned by this instance. */
  async assign(payments: PendingPayment[]): Promise<PendingPayment[]> {
    if (payments.length === 0) return [];
    const args: string[] = [this.store.epoch ?? ''];
    for (const p of payments) args.push(p.correlationId, encode(p));
    const owned = new Set(
      (await ASSIGN_OWNED.run(this.store.redis, [this.store.pendingKey(), this.store.epochKey()], args).catch(
        (err: unknown) => this.store.refusedForEpoch(err),
      )) as string[],
    );
    // Not sent until a promoted replica would hold it too: else a recovery could send it elsewhere.
    await this.store.replicated();
    return payments.filter((p) => owned.has(p.correlationId));
  } /**
   * Which of these ids this instance still owns (its pending hash holds them). The fence for a payment whose
   * outcome is unknown: it is tried again only while no other instance has taken it over.
   */
  async stillOwned(correlationIds: string[]): Promise<Set<string>> {
    if (correlationIds.length === 0) return new Set();
    const held = await this.store.redis.hmget(this.store.pendingKey(), ...correlationIds);
    return new Set(correlationIds.filter((_, i) => held[i] !== null));
  }
}
