// Payments accepted but not yet in Postgres live in Redis, so that they survive
// the crash of the instance that accepted them. This file lays out the keys and gathers
// the four parts that work on them: claims and the window (claim-window.ts), assignments
// and ownership (assignments.ts), liveness and orphans (liveness.ts), and what operators
// do (pending-admin.ts); the Lua scripts are in pending-scripts.ts.
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
import type Redis from 'ioredis';
import type { PendingPayment } from '../domain/pending-payment';
import { Assignments } from './assignments';
import { ClaimWindow } from './claim-window';
import { Liveness } from './liveness';
import type { ReplicaWait } from './pending-errors';
import { PendingAdmin } from './pending-admin';
import { PendingStore } from './pending-store';

/** The pending payments of one instance, as its parts see them; each method is its part's. */
export class PendingPayments {
  readonly claims: ClaimWindow;
  readonly assignments: Assignments;
  readonly liveness: Liveness;
  readonly admin: PendingAdmin;
  private readonly store: PendingStore;

  /**
   * `windowMs`: how long an accepted id is remembered here at least (DEDUPE_WINDOW_MS); `replicas`: how many
   * replicas must confirm a claim or an assignment (REDIS_MIN_REPLICAS), so that a promoted one holds it.
   * `beat`: the heartbeat's connection, never behind a WAIT (claims', assignments' and probes' own).
   */
  constructor(
    redis: Redis,
    prefix: string,
    readonly instanceId: string,
    readonly windowMs: number,
    replicas: ReplicaWait = { count: 0, timeoutMs: 0 },
    beat: Redis = redis,
  ) {
    this.store = new PendingStore(redis, prefix, instanceId, windowMs, replicas, beat);
    this.claims = new ClaimWindow(this.store);
    this.assignments = new Assignments(this.store);
    this.liveness = new Liveness(this.store);
    this.admin = new PendingAdmin(this.store);
  }

  /** The marker's value once the dedupe memory is known complete (null: not checked yet). */
  get epoch(): string | null {
    return this.store.epoch;
  }

  set epoch(value: string | null) {
    this.store.epoch = value;
  }

  epochKey(): string {
    return this.store.epochKey();
  }

  replicated = (): Promise<void> => this.store.replicated();
  restore = (payments: PendingPayment[]) => this.claims.restore(payments);
  remember = (correlationIds: string[]) => this.claims.remember(correlationIds);
  claimFresh = (payments: PendingPayment[]) => this.claims.claimFresh(payments);
  complete = (correlationIds: string[]) => this.claims.complete(correlationIds);
  owned = () => this.claims.owned();
  assign = (payments: PendingPayment[]) => this.assignments.assign(payments);
  stillOwned = (correlationIds: string[]) => this.assignments.stillOwned(correlationIds);
  heartbeat = (ttlMs: number) => this.liveness.heartbeat(ttlMs);
  liveInstances = () => this.liveness.liveInstances();
  setAsideLeftovers = () => this.liveness.setAsideLeftovers();
  claimOrphans = (limit?: number) => this.liveness.claimOrphans(limit);
  adopted = (correlationIds: string[]) => this.liveness.adopted(correlationIds);
  leave = () => this.liveness.leave();
  purge = () => this.admin.purge();
  forgetUnboundedHistory = () => this.admin.forgetUnboundedHistory();
  memory = () => this.admin.memory();
}
