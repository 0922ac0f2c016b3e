// Liveness and orphans: each instance's heartbeat, the registry of instances, and the take-over of what a dead
// instance (or this one's previous life) left pending, in chunks.
import type { PendingPayment } from '../domain/pending-payment';
import { decode } from './pending-codec';
import type { PendingStore } from './pending-store';
import { CLAIM_ORPHANS, SET_ASIDE } from './pending-scripts';

/** How long an adopting set outlives its last take-over (a bound for one its instance never cleared). */
const ADOPTING_TTL_MS = 600_000;

export class Liveness {
  constructor(private readonly store: PendingStore) {}

  /**
   * Announces this instance as alive for `ttlMs`. A beat extends the alive key with PEXPIRE, which Redis at
   * maxmemory (noeviction) still runs, unlike SET and SADD: a full Redis must not make a live instance look
   * dead, and its payments claimable by another once Redis has room again. Only a missing key is written anew.
   */
  async heartbeat(ttlMs: number): Promise<void> {
    if ((await this.store.beat.pexpire(this.store.aliveKey(this.store.instanceId), ttlMs)) === 1) return;
    await this.store.beat
      .multi()
      .sadd(this.store.instancesKey(), this.store.instanceId)
      .set(this.store.aliveKey(this.store.instanceId), String(Date.now()), 'PX', ttlMs)
      .exec();
  } /** Instances whose heartbeat is alive, this one included. */
  async liveInstances(): Promise<string[]> {
    const members = await this.store.redis.smembers(this.store.instancesKey());
    if (members.length === 0) return [];
    const alive = await this.store.redis.mget(...members.map((m) => this.store.aliveKey(m)));
    return members.filter((_, i) => alive[i] !== null);
  } /**
   * At start-up: sets aside what a previous life of this instance left pending, for claimOrphans to take back
   * as room allows (a crash with a long backlog must not bring it all into memory at once). Returns how many.
   */
  async setAsideLeftovers(): Promise<number> {
    return (await SET_ASIDE.run(this.store.redis, [this.store.pendingKey(), this.store.leftoverKey()], [])) as number;
  } /**
   * Takes over at most `limit` pending payments: this instance's leftovers first, then those of instances whose
   * heartbeat expired. Returns them with those an earlier take-over moved here but never handed over (its answer
   * was lost), as they are now: one since completed is gone from this instance's hash, and is left out. Call
   * adopted() once they are handed over. What is over the limit stays where it is, for the next call.
   */
  async claimOrphans(limit = Number.MAX_SAFE_INTEGER): Promise<PendingPayment[]> {
    const unfinished = await this.store.redis.smembers(this.store.adoptingKey());
    const members = await this.store.redis.smembers(this.store.instancesKey());
    const claimed = new Map<string, PendingPayment>();
    const sources: [string, string][] = [[this.store.leftoverKey(), '']];
    for (const other of members)
      if (other !== this.store.instanceId) sources.push([this.store.pendingKey(other), other]);
    let room = limit;
    for (const [key, other] of sources) {
      if (room <= 0) break;
      const flat = (await CLAIM_ORPHANS.run(
        this.store.redis,
        [key, this.store.pendingKey(), this.store.aliveKey(other), this.store.instancesKey(), this.store.adoptingKey()],
        [other, String(ADOPTING_TTL_MS), String(room)],
      )) as string[];
      for (let i = 0; i < flat.length; i += 2) claimed.set(flat[i], decode(flat[i], flat[i + 1]));
      room -= flat.length / 2;
    }
    const left = unfinished.filter((id) => !claimed.has(id));
    if (left.length > 0) {
      const now = await this.store.redis.hmget(this.store.pendingKey(), ...left);
      left.forEach((id, i) => now[i] !== null && claimed.set(id, decode(id, now[i])));
    }
    return [...claimed.values()];
  } /** The supervisor has these taken-over payments: they leave the adopting set. */
  async adopted(correlationIds: string[]): Promise<void> {
    if (correlationIds.length > 0) await this.store.redis.srem(this.store.adoptingKey(), ...correlationIds);
  } /** Leaves the registry on a clean shutdown (nothing pending is left behind by then). */
  async leave(): Promise<void> {
    await this.store.redis
      .multi()
      .del(this.store.aliveKey(this.store.instanceId))
      .srem(this.store.instancesKey(), this.store.instanceId)
      .exec();
  }
}
