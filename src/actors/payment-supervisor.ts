// The supervisor: the one place a payment's route is decided. It owns one actor per
// processor and the batching writers. Accepted payments are first made durable and
// deduplicated in Redis (the claim), then checked against the payments table for ids
// older than Redis' window (the look-up), then wait in its queue until a processor may
// take them:
//   default whenever its breaker lets payments through;
//   fallback when default is too slow for the consistency window, or when a payment
//   has waited DEFAULT_WAIT_MS for a failing default;
//   neither: the payment waits (it is never dropped).
import type { ActorRef } from './actor-system';
import { spawnActor } from './actor-system';
import type { WriterMsg, WriterSnapshot } from './batch-writer';
import type { ProcessorActor, ProcessorActorSnapshot, SettledReport } from './processor-actor';
import { assertNever } from './processor-actor';
import type { SharedHealth } from './processor-status';
import { SendBudget } from './send-budget';
import {
  onAccepted,
  onClaimed,
  onFlush,
  onFlushWriters,
  onHealth,
  onInspect,
  onLookedUp,
  onPurge,
  onRecovered,
  onSettled,
  onStop,
  onWritten,
} from './supervisor-handlers';
import { route } from './supervisor-routing';
import { claimStage, lookupStage } from './supervisor-stages';
import type { LookupAnswer, SupervisorContext, SupervisorState } from './supervisor-state';
import { initialSupervisorState } from './supervisor-state';
import type { Logger } from '../log';
import type { ProcessorName } from '../payment';
import type { PendingPayment } from '../store/pending-payments';

/** The part of PendingPayments the supervisor needs. */
export interface IntakeLedger {
  claimFresh(payments: PendingPayment[]): Promise<PendingPayment[]>;
}

/** The payments table, as the permanent memory of which ids were recorded (Redis keeps only a window). */
export interface PaymentHistory {
  /** The ids of these payments that the table already holds (released from Redis). */
  recordedAmong(payments: PendingPayment[]): Promise<Set<string>>;
}

export interface SupervisorSnapshot {
  name: string;
  mailbox: number;
  waiting: number;
  /** Accepted payments whose claim in Redis has not landed yet: acknowledged, not yet durable. */
  claiming: number;
  /** Claimed (or recovered) payments whose look-up in the payments table has not answered yet. */
  checking: number;
  oldestWaitingMs: number;
  /** Payments held between their claim and their row in Postgres (MAX_HELD bounds them). */
  held: number;
  /** Age of the oldest recorded payment handed to a writer and not yet in Postgres (0: none). */
  oldestUnwrittenMs: number;
  /** Children that did not answer this inspection in time (busy in a long await): left out below. */
  unanswered: number;
  inFlight: Record<ProcessorName, number>;
  accepted: number;
  duplicates: number;
  processors: ProcessorActorSnapshot[];
  writers: WriterSnapshot[];
}

export type SupervisorMsg =
  | { type: 'accepted'; payments: PendingPayment[]; batch?: number }
  | { type: 'claimed'; payments: PendingPayment[]; offered: number }
  | { type: 'recovered'; payments: PendingPayment[] }
  | ({ type: 'looked-up' } & LookupAnswer)
  | SettledReport
  /** A writer has these recorded payments in Postgres: they are no longer held. */
  | { type: 'written'; correlationIds: string[] }
  | { type: 'health'; processor: ProcessorName; health: SharedHealth }
  | { type: 'tick' }
  | { type: 'flush'; replyTo: (ok: boolean) => void }
  /** The flush's second step, once every processor actor has reported what reached it: the writers flush. */
  | { type: 'flush-writers'; replyTo: (ok: boolean) => void }
  | { type: 'purge'; replyTo: () => void }
  | { type: 'inspect'; replyTo: (snapshot: SupervisorSnapshot) => void }
  /** Every payment this instance holds and has not seen recorded (waiting or in flight), with its assignment. */
  | { type: 'held'; replyTo: (payments: PendingPayment[]) => void }
  | { type: 'stop'; replyTo: () => void };

export interface SupervisorChildren {
  processors: Record<ProcessorName, ProcessorActor>;
  writers: ActorRef<WriterMsg>[];
}

export interface SupervisorOptions {
  ledger: IntakeLedger;
  history: PaymentHistory;
  /** Creates the children once the supervisor exists (they report to it). */
  spawnChildren: (self: ActorRef<SupervisorMsg>) => SupervisorChildren;
  maxInFlight: number;
  /** Most payments sent to processors per second (0: no limit); see send-budget.ts. */
  sendRatePerS?: number;
  defaultWaitMs: number;
  tickMs: number;
  claimRetryMs: number;
  /** Most payments in one claim or one look-up. */
  stageBatchLimit?: number;
  /** How long a claimed payment waits to share its look-up in the payments table (LOOKUP_BATCH_MS). */
  lookupGatherMs?: number;
  /** A failure that repeats is logged at most once per this many ms (LOG_REPEAT_MS). */
  logRepeatMs?: number;
  log: Logger;
  now?: () => number;
  onRouted?: (processor: ProcessorName, count: number) => void;
  /** A claim landed in Redis, or failed (with the error): what the intake gate listens to. */
  onClaimLanded?: () => void;
  onClaimFailed?: (err: unknown, count: number) => void;
  /** How many acknowledged payments are not durable yet, after each change. */
  onNotDurable?: (count: number) => void;
  /** How many payments this instance holds (claimed or taken over, not yet written), after each change. */
  onHeld?: (count: number) => void;
  /** A batch handed over with an id: durable (its claim landed) or not (its first claim failed). Once per batch. */
  onBatchSettled?: (batch: number, durable: boolean) => void;
}

/** The switch only dispatches: each message has its handler in supervisor-handlers.ts. */
function dispatch(state: SupervisorState, ctx: SupervisorContext, msg: SupervisorMsg): SupervisorState {
  switch (msg.type) {
    case 'accepted':
      onAccepted(state, ctx, msg);
      break;
    case 'claimed':
      onClaimed(state, ctx, msg);
      break;
    case 'recovered':
      onRecovered(state, ctx, msg);
      break;
    case 'looked-up':
      onLookedUp(state, ctx, msg);
      break;
    case 'settled':
      onSettled(state, ctx, msg);
      break;
    case 'written':
      onWritten(state, msg);
      break;
    case 'health':
      onHealth(state, msg);
      break;
    case 'tick':
      route(state, ctx);
      break;
    case 'flush':
      onFlush(state, ctx, msg);
      break;
    case 'flush-writers':
      onFlushWriters(state, msg);
      break;
    case 'held':
      msg.replyTo([...state.held.values()]);
      break;
    case 'purge':
      onPurge(state, ctx, msg);
      break;
    case 'inspect':
      onInspect(state, ctx, msg);
      break;
    case 'stop':
      onStop(state, ctx, msg);
      break;
    default:
      return assertNever(msg);
  }
  if (state.held.size !== state.heldReported) {
    state.heldReported = state.held.size;
    ctx.options.onHeld?.(state.held.size);
  }
  return state;
}

export function spawnSupervisor(parent: unknown, options: SupervisorOptions): ActorRef<SupervisorMsg> {
  const now = options.now ?? Date.now;
  const state = initialSupervisorState();
  const wiring = { options, now, self: () => ctx.self, state };
  const ctx = {
    options,
    now,
    claims: claimStage(wiring),
    lookups: lookupStage(wiring),
    budget: new SendBudget(options.sendRatePerS ?? 0, now),
  } as { self: ActorRef<SupervisorMsg> } & Omit<SupervisorContext, 'self'>;
  ctx.self = spawnActor<SupervisorState, SupervisorMsg>(parent, {
    name: 'supervisor',
    initialState: () => state,
    // A crash while routing must not forget the waiting payments: keep the state.
    onCrash: 'resume',
    onError: (err, msg) => options.log.error('actor-crashed', { actor: 'supervisor', message: msg.type, err }),
    handle: (state, msg) => dispatch(state, ctx, msg),
  });
  // Its children are spawned right after the supervisor, before any message is handled.
  state.children = options.spawnChildren(ctx.self);
  return ctx.self;
}
