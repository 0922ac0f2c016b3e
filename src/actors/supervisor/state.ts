// What the supervisor holds between messages, and what its handlers may touch.
import type { InOrderStage } from './in-order-stage';
import type {
  AcceptedBatch,
  LookedUp,
  LookupAnswer,
  SupervisorChildren,
  SupervisorInternalMsg,
  SupervisorMsg,
  SupervisorOptions,
} from './protocol';
import type { SendBudget } from './send-budget';
import { WaitingQueue } from './waiting-queue';
import { AVAILABLE, type Availability } from '../processor/availability';
import type { ActorContext } from '../kit/actor';
import type { ProcessorName } from '../../domain/payment';
import type { PendingPayment } from '../../domain/pending-payment';

/**
 * One state object for the actor's whole life (crash policy resume). Bounded by MAX_HELD (the intake gate
 * refuses new payments and take-overs wait in Redis past it): `queue` and `held` hold only payments this
 * instance accepted or took over and has not seen written to Postgres.
 */
export interface SupervisorState {
  children: SupervisorChildren;
  /** What each processor actor last said may be routed to it. */
  availability: Record<ProcessorName, Availability>;
  queue: WaitingQueue;
  inFlight: Record<ProcessorName, number>;
  /** A half-open breaker lets one probe through: remember it was sent until that processor reports. */
  probeOut: Record<ProcessorName, boolean>;
  nextWriter: number;
  accepted: number;
  duplicates: number;
  stopped: boolean;
  /** Payments accepted before this were purged: if one comes back unrecorded, it is forgotten. */
  purgedAt: number;
  /**
   * Claimed (or recovered) here and not yet written to Postgres, by correlationId: what Redis must hold for
   * this instance. A recorded payment stays held until its writer has it in Postgres, so a backlog of
   * unwritten rows counts against MAX_HELD too.
   */
  held: Map<string, PendingPayment>;
  /**
   * Recorded payments handed to a writer and not yet written, by correlationId, with when they were handed
   * (insertion order: the first is the oldest). A subset of `held`, so bounded with it; its first entry is how
   * far the writers lag behind.
   */
  unwritten: Map<string, number>;
  /** The size of `held` last reported (onHeld). */
  heldReported: number;
}

export function initialSupervisorState(): SupervisorState {
  return {
    children: { processors: {} as SupervisorChildren['processors'], writers: [] },
    availability: { default: AVAILABLE, fallback: AVAILABLE },
    queue: new WaitingQueue(),
    inFlight: { default: 0, fallback: 0 },
    probeOut: { default: false, fallback: false },
    nextWriter: 0,
    accepted: 0,
    duplicates: 0,
    stopped: false,
    held: new Map(),
    unwritten: new Map(),
    heldReported: 0,
    purgedAt: 0,
  };
}

/** What every handler may touch besides the state: settings, clock, its address and timers, its stages, its budget. */
export interface SupervisorContext {
  readonly options: SupervisorOptions;
  readonly now: () => number;
  readonly actor: ActorContext<SupervisorMsg | SupervisorInternalMsg>;
  /** Claims in Redis, one request at a time (supervisor-stages.ts). */
  readonly claims: InOrderStage<AcceptedBatch, PendingPayment[]>;
  /** Look-ups in the payments table, one request at a time. */
  readonly lookups: InOrderStage<LookedUp, LookupAnswer>;
  readonly budget: SendBudget;
}
