// Payments accepted but not yet in Postgres live in Redis, so that they survive
// the crash of the instance that accepted them.
//
//   <prefix>seen:<n>           SET of the correlationIds accepted in the n-th slice of DEDUPE_WINDOW_MS / 4
//                              (Redis' clock); each slice expires once it is older than the window, so Redis
//                              holds the last window of ids, not the whole history (the payments table does)
//   <prefix>pending:<instance> HASH correlationId -> JSON of the PendingPayment, owned by one instance; a claim
//                              checks every instance's hash too, so a payment still pending is remembered
//                              whatever its age
//   <prefix>instances          SET of instances that may own pending payments
//   <prefix>alive:<instance>   heartbeat with a TTL; when it expires the instance's pending hash may be claimed
//   <prefix>adopting:<instance> SET of ids taken over from dead instances and not yet handed to this instance's
//                              supervisor (emptied once they are; expires 10 min after the last take-over)
//   <prefix>epoch              a marker written once the dedupe memory holds every id that matters
//                              (dedupe-guard.ts): its absence means Redis lost its data, and claims and
//                              assignments stop until it is rebuilt
//
// A payment's assignment (processor and requestedAt) is written here BEFORE it is sent,
// so whoever recovers it sends it again to the same processor with the same requestedAt:
// the processor answers 422 if it had recorded it, and nothing is recorded twice.
// The slice keys are built inside the scripts (from Redis' own clock, the same for every
// instance and host): a standalone Redis or Sentinel, not Redis Cluster.
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { PendingPayment } from '../domain/pending-payment';
import type { ProcessorName } from '../domain/payment';
import { LuaScript } from './lua-script';

/** The window is kept in this many slices, plus the current one: Redis holds at most 1.25 windows of ids. */
export const WINDOW_SLICES = 4;

interface StoredPending {
  a: number;
  t: number;
  c?: string;
  p?: ProcessorName;
  r?: string;
}

function encode(p: PendingPayment): string {
  const s: StoredPending = { a: p.amountCents, t: p.acceptedAt, c: p.claim };
  if (p.assignment) {
    s.p = p.assignment.processor;
    s.r = p.assignment.requestedAt;
  }
  return JSON.stringify(s);
}

// Unique to this process (a random base) and to each acceptance in it (a counter).
const CLAIM_BASE = randomUUID().slice(0, 8);
let claims = 0;
const nextClaim = () => `${CLAIM_BASE}.${(claims++).toString(36)}`;

function decode(correlationId: string, json: string): PendingPayment {
  const s = JSON.parse(json) as StoredPending;
  const p: PendingPayment = { correlationId, amountCents: s.a, acceptedAt: s.t };
  if (s.c) p.claim = s.c;
  if (s.p && s.r) p.assignment = { processor: s.p, requestedAt: s.r };
  return p;
}

// The slice keys of the window, newest first, from Redis' clock: ARGV[base] is the slice key's prefix,
// ARGV[base + 1] a slice's length in ms. Shared by the scripts below.
const WINDOW_LUA = `
local function window(base)
  local t = redis.call('TIME')
  local sliceMs = tonumber(ARGV[base + 1])
  local current = math.floor((tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) / sliceMs)
  local keys = {}
  for i = 0, ${WINDOW_SLICES} do keys[#keys + 1] = ARGV[base] .. (current - i) end
  -- The newest slice is read until ${WINDOW_SLICES} more have begun: an id in it is remembered at least a window.
  return keys, (current + ${WINDOW_SLICES} + 1) * sliceMs
end
local expiring = {}
local function remember(key, expireAt, id)
  local added = redis.call('SADD', key, id)
  if added == 1 and not expiring[key] then
    -- Once per script run: every id of a batch goes to the same slice.
    if redis.call('PTTL', key) < 0 then redis.call('PEXPIREAT', key, expireAt) end
    expiring[key] = true
  end
  return added
end
`;
// Adds each payment not known (in the window, or pending at any instance) to the window and to the
// owner's pending hash; returns the fresh ids. ARGV[1] is the epoch this instance knows ('' before it
// knows one): when the marker differs, Redis has lost (or rebuilt) the dedupe memory since, and nothing
// is claimed. A fresh id may still have been recorded before the window: the caller checks Postgres.
const CLAIM_FRESH = new LuaScript(`${WINDOW_LUA}
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then return redis.error_reply('EPOCH') end
local slices, expireAt = window(2)
local hashes = { KEYS[1] }
for _, owner in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local key = ARGV[4] .. owner
  if key ~= KEYS[1] then hashes[#hashes + 1] = key end
end
local fresh = {}
for i = 5, #ARGV, 2 do
  local id = ARGV[i]
  local known = remember(slices[1], expireAt, id) == 0
  if not known then
    for s = 2, #slices do
      if redis.call('SISMEMBER', slices[s], id) == 1 then known = true break end
    end
  end
  if not known then
    for _, h in ipairs(hashes) do
      if redis.call('HEXISTS', h, id) == 1 then known = true break end
    end
  end
  if not known then
    redis.call('HSET', KEYS[1], id, ARGV[i + 1])
    fresh[#fresh + 1] = id
  elseif redis.call('HGET', KEYS[1], id) == ARGV[i + 1] then
    -- This very claim, tried again (its answer was lost, or its replicas had not confirmed it): still fresh.
    -- Its value names the acceptance (claim), so a re-post is never taken for it. Asked of known ids only.
    fresh[#fresh + 1] = id
  end
end
return fresh`);

// Adds ids to the window's newest slice (what an instance puts back, and the ids Postgres holds for
// the window, after Redis lost its data).
const REMEMBER = new LuaScript(`${WINDOW_LUA}
local slices, expireAt = window(1)
for i = 3, #ARGV do remember(slices[1], expireAt, ARGV[i]) end
return #ARGV - 2`);

// Records assignments only for payments still owned here: another instance may have claimed them
// after a missed heartbeat (then they are in its hash). Checked against the epoch: after Redis lost
// its data every hash is empty until the rebuild has each instance put back what it holds, so an
// assignment waits for that instead of mistaking "forgotten" for "taken". Returns the ids updated.
const ASSIGN_OWNED = new LuaScript(`
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then return redis.error_reply('EPOCH') end
local owned = {}
for i = 2, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
    owned[#owned + 1] = ARGV[i]
  end
end
return owned`);

// Moves at most ARGV[3] payments from a hash of pending payments (KEYS[1]) into this instance's (KEYS[2]),
// atomically, listing them in its adopting set (KEYS[5]), and returns them. The hash is a dead instance's
// (ARGV[1], skipped while its alive key KEYS[3] exists, and struck off the instances set KEYS[4] once emptied)
// or this instance's leftovers from a previous life (ARGV[1] empty). In chunks, so that a take-over of tens of
// thousands neither blocks Redis in one script nor arrives in memory at once. Should the answer be lost
// (ioredis then runs it again, and it moves the next chunk, or nothing), the adopting set still tells the
// claimer what the first run moved.
const CLAIM_ORPHANS = new LuaScript(`
if ARGV[1] ~= '' and redis.call('EXISTS', KEYS[3]) == 1 then return {} end
local limit = tonumber(ARGV[3])
local moved = {}
local cursor = '0'
repeat
  local page = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', limit)
  cursor = page[1]
  for i = 1, #page[2], 2 do
    if #moved < limit * 2 then
      moved[#moved + 1] = page[2][i]
      moved[#moved + 1] = page[2][i + 1]
    end
  end
until cursor == '0' or #moved >= limit * 2
for i = 1, #moved, 2 do
  redis.call('HSET', KEYS[2], moved[i], moved[i + 1])
  redis.call('SADD', KEYS[5], moved[i])
  redis.call('HDEL', KEYS[1], moved[i])
end
if #moved > 0 then redis.call('PEXPIRE', KEYS[5], ARGV[2]) end
if ARGV[1] ~= '' and redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SREM', KEYS[4], ARGV[1]) end
return moved`);

// At start-up, what a previous life of this instance left pending (KEYS[1]) is set aside (KEYS[2]), to be taken
// back in chunks as room allows; set aside twice (a crash before the first was taken back), the two join.
const SET_ASIDE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.call('HLEN', KEYS[2]) end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  return redis.call('HLEN', KEYS[2])
end
local cursor = '0'
repeat
  local page = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', 1000)
  cursor = page[1]
  for i = 1, #page[2], 2 do redis.call('HSET', KEYS[2], page[2][i], page[2][i + 1]) end
until cursor == '0'
redis.call('DEL', KEYS[1])
return redis.call('HLEN', KEYS[2])`);

/** How long an adopting set outlives its last take-over (a bound for one its instance never cleared). */
const ADOPTING_TTL_MS = 600_000;

/** Fewer replicas than REDIS_MIN_REPLICAS confirmed a write in time: it does not count yet, and is tried again. */
export class ReplicaLagError extends Error {
  constructor(wanted: number, confirmed: number, timeoutMs: number) {
    super(`UNREPLICATED: ${confirmed} of ${wanted} replicas confirmed the write within ${timeoutMs} ms`);
    this.name = 'ReplicaLagError';
  }
}

/** How many replicas must hold a claim or an assignment before it counts (0: none), and how long to wait. */
export interface ReplicaWait {
  count: number;
  timeoutMs: number;
}

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
  private readonly sliceMs: string;

  /**
   * `windowMs`: how long an accepted id is remembered here at least (DEDUPE_WINDOW_MS); `replicas`: how many
   * replicas must confirm a claim or an assignment (REDIS_MIN_REPLICAS), so that a promoted one holds it.
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly instanceId: string,
    readonly windowMs: number,
    private readonly replicas: ReplicaWait = { count: 0, timeoutMs: 0 },
    /** The heartbeat's connection: never behind a WAIT (claims', assignments' and probes' own). */
    private readonly beat: Redis = redis,
  ) {
    this.sliceMs = String(Math.max(1, Math.ceil(windowMs / WINDOW_SLICES)));
  }

  private pendingKey(instance = this.instanceId): string {
    return `${this.prefix}pending:${instance}`;
  }

  private leftoverKey(instance = this.instanceId): string {
    return `${this.prefix}leftover:${instance}`;
  }

  private aliveKey(instance: string): string {
    return `${this.prefix}alive:${instance}`;
  }

  epochKey(): string {
    return `${this.prefix}epoch`;
  }

  private refusedForEpoch(err: unknown): never {
    throw /\bEPOCH\b/.test(String((err as Error)?.message)) ? new DedupeLostError() : err;
  }

  /**
   * Resolves once REDIS_MIN_REPLICAS replicas hold every write this connection made so far (WAIT); throws
   * ReplicaLagError when fewer confirm in time. Replication is asynchronous: without this, a write the
   * primary took could be missing on the replica Sentinel promotes.
   */
  async replicated(): Promise<void> {
    const { count, timeoutMs } = this.replicas;
    if (count <= 0) return;
    const confirmed = await this.redis.wait(count, timeoutMs);
    if (confirmed < count) throw new ReplicaLagError(count, confirmed, timeoutMs);
  }

  /** Puts payments this instance holds back into Redis (the window, and its pending hash): after Redis lost them. */
  async restore(payments: PendingPayment[]): Promise<void> {
    if (payments.length === 0) return;
    const pending: string[] = [];
    for (const p of payments) pending.push(p.correlationId, encode(p));
    await this.remember(payments.map((p) => p.correlationId));
    await this.redis.hset(this.pendingKey(), ...pending);
  }

  /** Adds ids to the window (the dedupe memory rebuilt from Postgres' recent records). */
  async remember(correlationIds: string[]): Promise<void> {
    if (correlationIds.length === 0) return;
    await REMEMBER.run(this.redis, [], [`${this.prefix}seen:`, this.sliceMs, ...correlationIds]);
  }

  /**
   * Keeps only payments Redis does not know (accepted within the window, or pending anywhere) and makes
   * them durable. One recorded before the window is among them: Postgres has the last word.
   */
  async claimFresh(payments: PendingPayment[]): Promise<PendingPayment[]> {
    if (payments.length === 0) return [];
    const args: string[] = [this.epoch ?? '', `${this.prefix}seen:`, this.sliceMs, `${this.prefix}pending:`];
    for (const p of payments) {
      p.claim ??= nextClaim();
      args.push(p.correlationId, encode(p));
    }
    const claimed = await CLAIM_FRESH.run(
      this.redis,
      [this.pendingKey(), this.epochKey(), `${this.prefix}instances`],
      args,
    ).catch((err: unknown) => this.refusedForEpoch(err));
    // Tried again whole if the replicas do not confirm it: the script takes this very claim again as fresh.
    await this.replicated();
    const fresh = new Set(claimed as string[]);
    // Once each: a client's retry may sit in the same batch as its first post, and both carry a fresh id.
    return payments.filter((p) => fresh.delete(p.correlationId));
  }

  /** Writes assignments before the payments are sent; returns those still owned by this instance. */
  async assign(payments: PendingPayment[]): Promise<PendingPayment[]> {
    if (payments.length === 0) return [];
    const args: string[] = [this.epoch ?? ''];
    for (const p of payments) args.push(p.correlationId, encode(p));
    const owned = new Set(
      (await ASSIGN_OWNED.run(this.redis, [this.pendingKey(), this.epochKey()], args).catch((err: unknown) =>
        this.refusedForEpoch(err),
      )) as string[],
    );
    // Not sent until a promoted replica would hold it too: else a recovery could send it elsewhere.
    await this.replicated();
    return payments.filter((p) => owned.has(p.correlationId));
  }

  /**
   * Which of these ids this instance still owns (its pending hash holds them). The fence for a payment whose
   * outcome is unknown: it is tried again only while no other instance has taken it over.
   */
  async stillOwned(correlationIds: string[]): Promise<Set<string>> {
    if (correlationIds.length === 0) return new Set();
    const held = await this.redis.hmget(this.pendingKey(), ...correlationIds);
    return new Set(correlationIds.filter((_, i) => held[i] !== null));
  }

  /** Forgets payments once Postgres holds them. */
  async complete(correlationIds: string[]): Promise<void> {
    if (correlationIds.length > 0) await this.redis.hdel(this.pendingKey(), ...correlationIds);
  }

  /** Everything this instance owns now (its leftovers set aside are not, until claimOrphans takes them back). */
  async owned(): Promise<PendingPayment[]> {
    const all = await this.redis.hgetall(this.pendingKey());
    return Object.entries(all).map(([id, json]) => decode(id, json));
  }

  /**
   * Announces this instance as alive for `ttlMs`. A beat extends the alive key with PEXPIRE, which Redis at
   * maxmemory (noeviction) still runs, unlike SET and SADD: a full Redis must not make a live instance look
   * dead, and its payments claimable by another once Redis has room again. Only a missing key is written anew.
   */
  async heartbeat(ttlMs: number): Promise<void> {
    if ((await this.beat.pexpire(this.aliveKey(this.instanceId), ttlMs)) === 1) return;
    await this.beat
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

  private adoptingKey(): string {
    return `${this.prefix}adopting:${this.instanceId}`;
  }

  /**
   * At start-up: sets aside what a previous life of this instance left pending, for claimOrphans to take back
   * as room allows (a crash with a long backlog must not bring it all into memory at once). Returns how many.
   */
  async setAsideLeftovers(): Promise<number> {
    return (await SET_ASIDE.run(this.redis, [this.pendingKey(), this.leftoverKey()], [])) as number;
  }

  /**
   * Takes over at most `limit` pending payments: this instance's leftovers first, then those of instances whose
   * heartbeat expired. Returns them with those an earlier take-over moved here but never handed over (its answer
   * was lost), as they are now: one since completed is gone from this instance's hash, and is left out. Call
   * adopted() once they are handed over. What is over the limit stays where it is, for the next call.
   */
  async claimOrphans(limit = Number.MAX_SAFE_INTEGER): Promise<PendingPayment[]> {
    const unfinished = await this.redis.smembers(this.adoptingKey());
    const members = await this.redis.smembers(`${this.prefix}instances`);
    const claimed = new Map<string, PendingPayment>();
    const sources: [string, string][] = [[this.leftoverKey(), '']];
    for (const other of members) if (other !== this.instanceId) sources.push([this.pendingKey(other), other]);
    let room = limit;
    for (const [key, other] of sources) {
      if (room <= 0) break;
      const flat = (await CLAIM_ORPHANS.run(
        this.redis,
        [key, this.pendingKey(), this.aliveKey(other), `${this.prefix}instances`, this.adoptingKey()],
        [other, String(ADOPTING_TTL_MS), String(room)],
      )) as string[];
      for (let i = 0; i < flat.length; i += 2) claimed.set(flat[i], decode(flat[i], flat[i + 1]));
      room -= flat.length / 2;
    }
    const left = unfinished.filter((id) => !claimed.has(id));
    if (left.length > 0) {
      const now = await this.redis.hmget(this.pendingKey(), ...left);
      left.forEach((id, i) => now[i] !== null && claimed.set(id, decode(id, now[i])));
    }
    return [...claimed.values()];
  }

  /** The supervisor has these taken-over payments: they leave the adopting set. */
  async adopted(correlationIds: string[]): Promise<void> {
    if (correlationIds.length > 0) await this.redis.srem(this.adoptingKey(), ...correlationIds);
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
    // Every slice, whatever the window of whoever wrote it (the launcher purges with the default one).
    const slices: string[] = [];
    for await (const keys of this.redis.scanStream({ match: `${this.prefix}seen:*`, count: 1000 }))
      slices.push(...(keys as string[]));
    const pending = [...members, this.instanceId].flatMap((m) => [this.pendingKey(m), this.leftoverKey(m)]);
    await this.redis.del(...slices, ...pending);
  }

  /**
   * Drops the set of every id ever accepted that versions before the window kept (`<prefix>seen`):
   * it only grew; the window and the payments table now answer for what it held.
   */
  async forgetUnboundedHistory(): Promise<void> {
    await this.redis.unlink(`${this.prefix}seen`);
  }

  /** Bytes Redis uses and its cap (0: none), for /metrics. */
  async memory(): Promise<{ used: number; max: number }> {
    const info = await this.redis.info('memory');
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    return { used: field('used_memory'), max: field('maxmemory') };
  }
}
