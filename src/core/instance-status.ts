// What one instance says of itself on the cluster page (GET /cluster): whether it takes payments and why
// not, how its stores answer, its actors, and a short trend. Built in the core thread from a supervisor
// snapshot and the intake gate; cluster-view.ts publishes it and reads the others'.
import type { SupervisorSnapshot } from '../actors/supervisor/protocol';
import type { RefusalReason } from './intake-gate';

/** Points kept in the trend: two minutes at the default HEARTBEAT_MS of 1 s. */
export const TREND_POINTS = 120;

/** A writer lag past this is reported as Postgres being slow. */
const SLOW_WRITES_MS = 2000;

export type RedisState = 'ok' | Exclude<RefusalReason, 'backlog' | 'held'>;
export type PostgresState = 'ok' | 'slow' | 'failing';

export interface TrendPoint {
  at: number;
  /** Payments accepted since start-up (the page draws its rate). */
  accepted: number;
  waiting: number;
  held: number;
  notDurable: number;
  refusing: boolean;
}

export interface InstanceStatus {
  instance: string;
  /** When this status was taken (ms since the epoch). */
  at: number;
  /** Why new payments get 503, or null while they get 202. */
  refusing: RefusalReason | null;
  stores: { redis: RedisState; postgres: PostgresState };
  supervisor: SupervisorSnapshot;
  trend: TrendPoint[];
}

const STORE_REFUSALS: readonly RefusalReason[] = ['full', 'down', 'read-only', 'unreplicated'];

/** The status of one instance, and its trend: one point per record(), the oldest dropped past `points`. */
export class StatusBoard {
  private readonly trend: TrendPoint[] = [];
  private failedFlushes = 0;
  private postgres: PostgresState = 'ok';

  constructor(
    private readonly instance: string,
    private readonly points = TREND_POINTS,
  ) {}

  /** The status now, adding a point to the trend (called once per publication). */
  record(snapshot: SupervisorSnapshot, refusing: RefusalReason | null, at: number): InstanceStatus {
    this.postgres = this.postgresState(snapshot);
    this.trend.push({
      at,
      accepted: snapshot.accepted,
      waiting: snapshot.waiting,
      held: snapshot.held,
      notDurable: snapshot.claiming,
      refusing: refusing !== null,
    });
    if (this.trend.length > this.points) this.trend.shift();
    return this.status(snapshot, refusing, at);
  }

  /** The status now, with the trend as last recorded. */
  status(snapshot: SupervisorSnapshot, refusing: RefusalReason | null, at: number): InstanceStatus {
    const redis = refusing !== null && STORE_REFUSALS.includes(refusing) ? (refusing as RedisState) : 'ok';
    return {
      instance: this.instance,
      at,
      refusing,
      stores: { redis, postgres: this.postgres },
      supervisor: snapshot,
      trend: [...this.trend],
    };
  }

  /** Failing: an INSERT failed since the last record; slow: the writers lag, or an actor is stuck in an await. */
  private postgresState(snapshot: SupervisorSnapshot): PostgresState {
    const failed = snapshot.writers.reduce((n, w) => n + w.failedFlushes, 0);
    const failedSince = failed > this.failedFlushes;
    this.failedFlushes = Math.max(this.failedFlushes, failed);
    if (failedSince) return 'failing';
    return snapshot.oldestUnwrittenMs > SLOW_WRITES_MS || snapshot.unanswered > 0 ? 'slow' : 'ok';
  }
}
