// The processor actor's protocol: what the supervisor may tell it, what it tells itself (answers, its watch),
// what it reports, and how it is set up.
import type { Availability } from './availability';
import type { ProcessorStatusSnapshot, StatusOptions } from './status';
import type { Logger } from '../../shared/log';
import type { ProcessorName, ProcessorPaymentBody, RecordedPayment, SharedHealth } from '../../domain/payment';
import type { LookupResult, PaymentAttempt } from '../../domain/processor-answers';
import type { PendingPayment } from '../../domain/pending-payment';

/** What other actors may tell a processor actor. */
export type ProcessorMsg =
  /**
   * `assigned`: their assignment to this processor was made durable with their claim and they were
   * never sent, so they go out at once. Otherwise a payment with an assignment was recovered (it may
   * have reached the processor: it is pinned here), and one without is assigned first.
   */
  | { type: 'send'; payments: PendingPayment[]; assigned?: boolean }
  | { type: 'health'; health: SharedHealth }
  /** Settles every answer that reached us so far now, reports it, then calls replyTo (a summary's barrier). */
  | { type: 'drain'; replyTo: () => void }
  | { type: 'inspect'; replyTo: (snapshot: ProcessorActorSnapshot) => void }
  | { type: 'stop-watching' };

/** One answer from the processor or the ledger, piped back into the mailbox; `at`: when it reached us. */
export type Result =
  | { kind: 'paid'; payment: PendingPayment; attempt: PaymentAttempt; pinned: boolean; at: number }
  | { kind: 'looked-up'; payment: PendingPayment; lookup: LookupResult; at: number }
  | { kind: 'not-assigned'; payments: PendingPayment[]; owned: boolean }
  /** The assignments of `fresh` were written: `owned` are still this instance's and go out now. */
  | { kind: 'assigned'; fresh: PendingPayment[]; owned: PendingPayment[] }
  /** Redis did not take the assignments: nothing of these is sent; they go back after a pause. */
  | { kind: 'assign-failed'; fresh: PendingPayment[]; err: unknown }
  /** Which of the pinned payments due again this instance still owns (null: Redis did not say). */
  | { kind: 'ownership'; due: string[]; owned: Set<string> | null };

/** What only the actor tells itself. */
export type ProcessorInternalMsg =
  | { type: 'results'; results: Result[] }
  /** Its timer: ages of what is in flight, pinned payments due again. */
  | { type: 'watch' }
  /** Its timer: payments whose assignment failed go back to the supervisor, a pause after the failure. */
  | { type: 'hand-back' }
  /** Its timer: the open breaker's cool-down is over (it half-opens), which the supervisor hears. */
  | { type: 'cooled-down' };

/** The keys of its timers. */
export const WATCH_TIMER = 'watch';
export const HAND_BACK_TIMER = 'hand-back';
export const COOL_DOWN_TIMER = 'cool-down';

export interface SettledReport {
  type: 'settled';
  processor: ProcessorName;
  recorded: RecordedPayment[];
  /** Definitely not recorded by this processor: may go anywhere. */
  returned: PendingPayment[];
  /** Taken over by another instance: no longer ours to count (their ids). */
  dropped: string[];
}

/** Told whenever what the supervisor may route to this processor changes. */
export interface AvailabilityReport {
  type: 'availability';
  processor: ProcessorName;
  availability: Availability;
}

export interface ProcessorActorSnapshot extends ProcessorStatusSnapshot {
  name: string;
  processor: ProcessorName;
  inFlight: number;
  pinned: number;
  mailbox: number;
  recordedTotal: number;
  returnedTotal: number;
}

/** The part of ProcessorClient this actor needs. Its calls settle every outcome as a value; should one
 * reject all the same, the payment is treated as its outcome unknown (pinned here, never sent elsewhere). */
export interface PaymentGateway {
  pay(body: ProcessorPaymentBody): Promise<PaymentAttempt>;
  lookup(correlationId: string): Promise<LookupResult>;
}

/** The part of PendingPayments this actor needs. */
export interface AssignmentLedger {
  assign(payments: PendingPayment[]): Promise<PendingPayment[]>;
  /** Which of these ids are still this instance's (none taken over by another after a missed heartbeat). */
  stillOwned(correlationIds: string[]): Promise<Set<string>>;
}

export interface ProcessorActorOptions extends StatusOptions {
  processor: ProcessorName;
  gateway: PaymentGateway;
  ledger: AssignmentLedger;
  /** Receives every report of settled payments; normally the supervisor. */
  report: (report: SettledReport) => void;
  /** Receives its availability whenever it changes; normally the supervisor. */
  reportAvailability?: (report: AvailabilityReport) => void;
  /** After a lost answer, how long until no attempt can still be in the processor's hands. */
  settleMs: number;
  /** How often a pinned payment is tried again. */
  pinnedRetryMs: number;
  /**
   * How often pinned payments are looked at, at the least; in-flight ages are looked at when the oldest
   * would become late, however soon that is.
   */
  watchMs: number;
  /** A failure that repeats is logged at most once per this many ms. */
  logRepeatMs?: number;
  log: Logger;
  now?: () => number;
}
