// The supervisor's protocol: what the front end, the heartbeat, the health monitor and its children may tell
// it, what it tells itself (stage answers, timers), its snapshot, and how it is set up.
import type { StageOutcome } from './in-order-stage';
import type { AvailabilityReport, ProcessorActorSnapshot, ProcessorMsg, SettledReport } from '../processor/protocol';
import type { ActorRef } from '../kit/actor';
import type { WriterMsg, WriterSnapshot } from '../writer/protocol';
import type { Logger } from '../../shared/log';
import type { ProcessorName, SharedHealth } from '../../domain/payment';
import type { PendingPayment } from '../../domain/pending-payment';

/** One hand-over from the front end; `batch` is set when its answers wait for the claim (ACK_WHEN_DURABLE). */
export interface AcceptedBatch {
  payments: PendingPayment[];
  batch?: number;
  answered: boolean;
}

/** A payment on its way through the look-up; a recovered one keeps the assignment it had. */
export interface LookedUp {
  payment: PendingPayment;
  recovered: boolean;
}

export interface LookupAnswer {
  unrecorded: LookedUp[];
  recorded: LookedUp[];
}

/** What others may tell the supervisor. */
export type SupervisorMsg =
  | { type: 'accepted'; payments: PendingPayment[]; batch?: number }
  | { type: 'recovered'; payments: PendingPayment[] }
  | SettledReport
  | AvailabilityReport
  /** A writer has these recorded payments in Postgres: they are no longer held. */
  | { type: 'written'; correlationIds: string[] }
  | { type: 'health'; processor: ProcessorName; health: SharedHealth }
  | { type: 'flush'; replyTo: (ok: boolean) => void }
  | { type: 'purge'; replyTo: () => void }
  | { type: 'inspect'; replyTo: (snapshot: SupervisorSnapshot) => void }
  /** Every payment this instance holds and has not seen recorded (waiting or in flight), with its assignment. */
  | { type: 'held'; replyTo: (payments: PendingPayment[]) => void }
  | { type: 'stop'; replyTo: () => void };

/** What only the supervisor tells itself. */
export type SupervisorInternalMsg =
  /** The claim in Redis answered (claimFresh: the fresh payments among those offered). */
  | { type: 'claim-answered'; outcome: StageOutcome<PendingPayment[]> }
  /** The look-up in the payments table answered. */
  | { type: 'lookup-answered'; outcome: StageOutcome<LookupAnswer> }
  /** A stage's timer: its retry pause, or its gathering, is over. */
  | { type: 'stage-wake'; stage: StageName }
  /** Its timer: what waits is looked at again. */
  | { type: 'tick' }
  /** The flush's second step, once every processor actor has reported what reached it: the writers flush. */
  | { type: 'flush-writers'; replyTo: (ok: boolean) => void };

export type StageName = 'claims' | 'lookups';

/** The key of the routing timer (the stages' timers are keyed by their names). */
export const TICK_TIMER = 'tick';

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

export interface SupervisorChildren {
  processors: Record<ProcessorName, ActorRef<ProcessorMsg>>;
  writers: ActorRef<WriterMsg>[];
}

/** The part of PendingPayments the supervisor needs. */
export interface IntakeLedger {
  claimFresh(payments: PendingPayment[]): Promise<PendingPayment[]>;
}

/** The payments table, as the permanent memory of which ids were recorded (Redis keeps only a window). */
export interface PaymentHistory {
  /** The ids of these payments that the table already holds (released from Redis). */
  recordedAmong(payments: PendingPayment[]): Promise<Set<string>>;
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
