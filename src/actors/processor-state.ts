// What a processor actor holds between messages, and what its handlers may touch.
import type { ActorRef } from './actor-system';
import type { ProcessorActorOptions, ProcessorMsg } from './processor-actor';
import { ProcessorStatus } from './processor-status';
import type { RepeatedWarning } from '../repeated-warning';
import type { LookupResult, PaymentAttempt } from '../processor-client';
import type { PendingPayment } from '../store/pending-payments';

/** One answer from the processor or the ledger, posted back into the mailbox; `at`: when it reached us. */
export type Result =
  | { kind: 'paid'; payment: PendingPayment; attempt: PaymentAttempt; pinned: boolean; at: number }
  | { kind: 'looked-up'; payment: PendingPayment; lookup: LookupResult; at: number }
  | { kind: 'not-assigned'; payments: PendingPayment[]; owned: boolean };

/** A payment whose outcome is unknown: it stays with this processor until the processor says. */
export interface Pinned {
  payment: PendingPayment;
  /** When it was first pinned: how long the processor has had it, at most. */
  pinnedAt: number;
  /** When the last attempt that may still be in the processor's hands went out. */
  ambiguousSince: number;
  nextTryAt: number;
  busy: boolean;
}

/** Bounded by the supervisor's MAX_IN_FLIGHT: every map here holds only payments sent to this processor. */
export class ProcessorState {
  readonly status: ProcessorStatus;
  /** correlationId -> time handed over, then time sent, in hand-over order (about the oldest first). */
  readonly inFlight = new Map<string, number>();
  readonly pinned = new Map<string, Pinned>();
  recordedTotal = 0;
  returnedTotal = 0;
  /** Answers gathered since the last 'results' message (at most the payments in flight). */
  results: Result[] = [];
  resultsScheduled = false;
  /** The next look at ages and pinned payments, pending only while payments are in flight. */
  watchTimer: NodeJS.Timeout | null = null;
  /** When watchTimer fires. */
  watchAt = 0;
  watching = true;

  constructor(options: ProcessorActorOptions) {
    this.status = new ProcessorStatus(options, options.now);
  }
}

/** What every handler may touch besides the state: settings, clock, its own address, its warnings. */
export interface ProcessorContext {
  readonly options: ProcessorActorOptions;
  readonly now: () => number;
  readonly self: ActorRef<ProcessorMsg>;
  readonly assignWarning: RepeatedWarning;
}
