// Claims and the dedupe window: a payment accepted becomes durable and deduplicated here (claimFresh), and is
// forgotten once Postgres holds it (complete). What Redis lost is put back from what instances hold (restore) and
// from Postgres' recent records (remember).
import type { PendingPayment } from '../domain/pending-payment';
import { decode, encode, nextClaim } from './pending-codec';
import type { PendingStore } from './pending-store';
import { CLAIM_FRESH, REMEMBER } from './pending-scripts';

export class ClaimWindow {
  constructor(private readonly store: PendingStore) {}

  /** Puts payments this instance holds back into Redis (the window, and its pending hash): after Redis lost them. */
  async restore(payments: PendingPayment[]): Promise<void> {
    if (payments.length === 0) return;
    const pending: string[] = [];
    for (const p of payments) pending.push(p.correlationId, encode(p));
    await this.remember(payments.map((p) => p.correlationId));
    await this.store.redis.hset(this.store.pendingKey(), ...pending);
  } /** Adds ids to the window (the dedupe memory rebuilt from Postgres' recent records). */
  async remember(correlationIds: string[]): Promise<void> {
    if (correlationIds.length === 0) return;
    await REMEMBER.run(this.store.redis, [], [this.store.seenPrefix(), this.store.sliceMs, ...correlationIds]);
  } /**
   * Keeps only payments Redis does not know (accepted within the window, or pending anywhere) and makes
   * them durable. One recorded before the window is among them: Postgres has the last word.
   */
  async claimFresh(payments: PendingPayment[]): Promise<PendingPayment[]> {
    if (payments.length === 0) return [];
    const args: string[] = [
      this.store.epoch ?? '',
      this.store.seenPrefix(),
      this.store.sliceMs,
      `${this.store.prefix}pending:`,
    ];
    for (const p of payments) {
      p.claim ??= nextClaim();
      args.push(p.correlationId, encode(p));
    }
    const claimed = await CLAIM_FRESH.run(
      this.store.redis,
      [this.store.pendingKey(), this.store.epochKey(), this.store.instancesKey()],
      args,
    ).catch((err: unknown) => this.store.refusedForEpoch(err));
    // Tried again whole if the replicas do not confirm it: the script takes this very claim again as fresh.
    await this.store.replicated();
    const fresh = new Set(claimed as string[]);
    // Once each: a client's retry may sit in the same batch as its first post, and both carry a fresh id.
    return payments.filter((p) => fresh.delete(p.correlationId));
  } /** Forgets payments once Postgres holds them. */
  async complete(correlationIds: string[]): Promise<void> {
    if (correlationIds.length > 0) await this.store.redis.hdel(this.store.pendingKey(), ...correlationIds);
  } /** Everything this instance owns now (its leftovers set aside are not, until claimOrphans takes them back). */
  async owned(): Promise<PendingPayment[]> {
    const all = await this.store.redis.hgetall(this.store.pendingKey());
    return Object.entries(all).map(([id, json]) => decode(id, json));
  }
}
