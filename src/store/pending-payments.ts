// Payments accepted but not yet in Postgres live in Redis, so that they survive
// the crash of the instance that accepted them.
//
//   <prefix>seen               SET of every correlationId ever accepted (duplicates stop here)
//   <prefix>pending:<instance> HASH correlationId -> JSON of the PendingPayment, owned by one instance
//   <prefix>instances          SET of instances that may own pending payments
//   <prefix>alive:<instance>   heartbeat with a TTL; when it expires the instance's pending hash may be claimed
//   <prefix>epoch              a marker written once `seen` holds every id that matters (dedupe-guard.ts): its
//                              absence means Redis lost its data, and claims stop until `seen` is rebuilt
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
// ARGV[1] is the epoch this instance knows ('' before it knows one): when the marker differs, Redis has
// lost (or rebuilt) the dedupe memory since, and nothing is claimed.
const CLAIM_FRESH = new LuaScript(`
if ARGV[1] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[1] then return redis.error_reply('EPOCH') end
local fresh = {}
for i = 2, #ARGV, 2 do
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

/** Redis no longer holds the dedupe marker this instance knew: claims wait until it is rebuilt. */
export class DedupeLostError extends Error {
  constructor() {
    super('the dedupe memory in Redis was lost (its marker is gone): claims wait until it is rebuilt');
    this.name = 'DedupeLostError';
  }
}

export class PendingPayments {
  /** The marker's value once the dedupe memory is known complete (null: not checked yet). */
  epoch: string | null = null;

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

  epochKey(): string {
    return `${this.prefix}epoch`;
  }

  /** Puts payments this instance holds back into Redis (seen, and its pending hash): after Redis lost them. */
  async restore(payments: PendingPayment[]): Promise<void> {
    if (payments.length === 0) return;
    const pending: string[] = [];
    for (const p of payments) pending.push(p.correlationId, encode(p));
    await this.redis
      .multi()
      .sadd(`${this.prefix}seen`, ...payments.map((p) => p.correlationId))
      .hset(this.pendingKey(), ...pending)
      .exec();
  }

  /** Marks ids as seen (the dedupe memory rebuilt from Postgres). */
  async markSeen(correlationIds: string[]): Promise<void> {
    if (correlationIds.length > 0) await this.redis.sadd(`${this.prefix}seen`, ...correlationIds);
  }

  /** Keeps only payments never seen before (by any instance) and makes them durable. */
  async claimFresh(payments: PendingPayment[]): Promise<PendingPayment[]> {
    if (payments.length === 0) return [];
    const args: string[] = [this.epoch ?? ''];
    for (const p of payments) args.push(p.correlationId, encode(p));
    const claimed = await CLAIM_FRESH.run(
      this.redis,
      [`${this.prefix}seen`, this.pendingKey(), this.epochKey()],
      args,
    ).catch((err: unknown) => {
      throw /\bEPOCH\b/.test(String((err as Error)?.message)) ? new DedupeLostError() : err;
    });
    const fresh = new Set(claimed as string[]);
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
