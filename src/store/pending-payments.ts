// Payments accepted but not yet in Postgres live in Redis, so that they survive
// the crash of the instance that accepted them.
//
//   <prefix>seen               SET of every correlationId ever accepted (duplicates stop here)
//   <prefix>pending:<instance> HASH correlationId -> JSON of the PendingPayment, owned by one instance
//   <prefix>instances          SET of instances that may own pending payments
//   <prefix>alive:<instance>   heartbeat with a TTL; when it expires the instance's pending hash may be claimed
//
// A payment's assignment (processor and requestedAt) is written here BEFORE it is sent,
// so whoever recovers it sends it again to the same processor with the same requestedAt:
// the processor answers 422 if it had recorded it, and nothing is recorded twice.
import type Redis from 'ioredis';
import type { PaymentRequest, ProcessorName } from '../payment';
import { LuaScript } from './lua-script';

export interface PendingPayment extends PaymentRequest {
  acceptedAt: number;
  /** Set once the payment has been sent to a processor: from then on it belongs to that processor. */
  assignment?: { processor: ProcessorName; requestedAt: string };
}

interface StoredPending {
  a: number;
  t: number;
  p?: ProcessorName;
  r?: string;
}

function encode(p: PendingPayment): string {
  const s: StoredPending = { a: p.amountCents, t: p.acceptedAt };
  if (p.assignment) {
    s.p = p.assignment.processor;
    s.r = p.assignment.requestedAt;
  }
  return JSON.stringify(s);
}

function decode(correlationId: string, json: string): PendingPayment {
  const s = JSON.parse(json) as StoredPending;
  const p: PendingPayment = { correlationId, amountCents: s.a, acceptedAt: s.t };
  if (s.p && s.r) p.assignment = { processor: s.p, requestedAt: s.r };
  return p;
}

// Adds each payment not seen before to `seen` and to the owner's pending hash; returns the fresh ids.
const CLAIM_FRESH = new LuaScript(`
local fresh = {}
for i = 1, #ARGV, 2 do
  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    fresh[#fresh + 1] = ARGV[i]
  end
end
return fresh`);

// Records assignments only for payments still owned here: another instance may have
// claimed them after a missed heartbeat (then they are in its hash, and in \`seen\`).
// A payment that is in neither was forgotten by Redis itself (a restart without
// persistence): it is taken back, not dropped. Returns the ids that were updated.
const ASSIGN_OWNED = new LuaScript(`
local owned = {}
for i = 1, #ARGV, 2 do
  local mine = redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1
  if not mine and redis.call('SISMEMBER', KEYS[2], ARGV[i]) == 0 then
    redis.call('SADD', KEYS[2], ARGV[i])
    mine = true
  end
  if mine then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    owned[#owned + 1] = ARGV[i]
  end
end
return owned`);

// Moves every pending payment of a dead instance to the claimer, atomically, unless it came back.
const CLAIM_ORPHANS = new LuaScript(`
if redis.call('EXISTS', KEYS[3]) == 1 then return {} end
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  redis.call('HSET', KEYS[2], all[i], all[i + 1])
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[4], ARGV[1])
return all`);

export class PendingPayments {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly instanceId: string,
  ) {}

  private pendingKey(instance = this.instanceId): string {
    return `${this.prefix}pending:${instance}`;
  }

  private aliveKey(instance: string): string {
    return `${this.prefix}alive:${instance}`;
  }

  /** Keeps only payments never seen before (by any instance) and makes them durable. */
  async claimFresh(payments: PendingPayment[]): Promise<PendingPayment[]> {
    if (payments.length === 0) return [];
    const args: string[] = [];
    for (const p of payments) args.push(p.correlationId, encode(p));
    const fresh = new Set(
      (await CLAIM_FRESH.run(this.redis, [`${this.prefix}seen`, this.pendingKey()], args)) as string[],
    );
    // Once each: a client's retry may sit in the same batch as its first post, and both carry a fresh id.
    return payments.filter((p) => fresh.delete(p.correlationId));
  }

  /** Writes assignments before the payments are sent; returns those still owned by this instance. */
  async assign(payments: PendingPayment[]): Promise<PendingPayment[]> {
    if (payments.length === 0) return [];
    const args: string[] = [];
    for (const p of payments) args.push(p.correlationId, encode(p));
    const owned = new Set(
      (await ASSIGN_OWNED.run(this.redis, [this.pendingKey(), `${this.prefix}seen`], args)) as string[],
    );
    return payments.filter((p) => owned.has(p.correlationId));
  }

  /** Forgets payments once Postgres holds them. */
  async complete(correlationIds: string[]): Promise<void> {
    if (correlationIds.length > 0) await this.redis.hdel(this.pendingKey(), ...correlationIds);
  }

  /** Everything this instance owns (at start-up: what a previous life of it left). */
  async owned(): Promise<PendingPayment[]> {
    const all = await this.redis.hgetall(this.pendingKey());
    return Object.entries(all).map(([id, json]) => decode(id, json));
  }

  /** Announces this instance as alive for `ttlMs`. */
  async heartbeat(ttlMs: number): Promise<void> {
    await this.redis
      .multi()
      .sadd(`${this.prefix}instances`, this.instanceId)
      .set(this.aliveKey(this.instanceId), String(Date.now()), 'PX', ttlMs)
      .exec();
  }

  /** Instances whose heartbeat is alive, this one included. */
  async liveInstances(): Promise<string[]> {
    const members = await this.redis.smembers(`${this.prefix}instances`);
    if (members.length === 0) return [];
    const alive = await this.redis.mget(...members.map((m) => this.aliveKey(m)));
    return members.filter((_, i) => alive[i] !== null);
  }

  /** Takes over the pending payments of every instance whose heartbeat expired. */
  async claimOrphans(): Promise<PendingPayment[]> {
    const members = await this.redis.smembers(`${this.prefix}instances`);
    const claimed: PendingPayment[] = [];
    for (const other of members) {
      if (other === this.instanceId) continue;
      const flat = (await CLAIM_ORPHANS.run(
        this.redis,
        [this.pendingKey(other), this.pendingKey(), this.aliveKey(other), `${this.prefix}instances`],
        [other],
      )) as string[];
      for (let i = 0; i < flat.length; i += 2) claimed.push(decode(flat[i], flat[i + 1]));
    }
    return claimed;
  }

  /** Leaves the registry on a clean shutdown (nothing pending is left behind by then). */
  async leave(): Promise<void> {
    await this.redis
      .multi()
      .del(this.aliveKey(this.instanceId))
      .srem(`${this.prefix}instances`, this.instanceId)
      .exec();
  }

  /** Empties everything (POST /purge-payments): dedupe memory and every instance's pending payments. */
  async purge(): Promise<void> {
    const members = await this.redis.smembers(`${this.prefix}instances`);
    await this.redis.del(`${this.prefix}seen`, ...members.map((m) => this.pendingKey(m)), this.pendingKey());
  }
}
