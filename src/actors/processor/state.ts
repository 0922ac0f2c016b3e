// What a processor actor holds between messages, and what its handlers may touch.
import type { Availability } from './availability';
import type { ProcessorActorOptions, ProcessorInternalMsg, ProcessorMsg, Result } from './protocol';
import { ProcessorStatus } from './status';
import type { ActorContext } from '../kit/actor';
import type { OutcomeBatch } from '../kit/outcome-batch';
import type { RepeatedWarning } from '../../shared/repeated-warning';
import type { PendingPayment } from '../../domain/pending-payment';

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
  /** Payments whose assignment Redis refused, waiting for the hand-back timer (at most those in flight). */
  unassigned: PendingPayment[] = [];
  recordedTotal = 0;
  returnedTotal = 0;
  watching = true;
  /** What the supervisor was last told it may route here. */
  availabilityTold: Availability;

  constructor(options: ProcessorActorOptions) {
    this.status = new ProcessorStatus(options, options.now);
    this.availabilityTold = this.status.availability();
  }
}

/** What every handler may touch besides the state: settings, clock, its own address and timers, its warnings. */
export interface ProcessorContext {
  readonly options: ProcessorActorOptions;
  readonly now: () => number;
  readonly actor: ActorContext<ProcessorMsg | ProcessorInternalMsg>;
  /** The answers of its calls, one 'results' message per turn. */
  readonly results: OutcomeBatch<Result, ProcessorMsg | ProcessorInternalMsg>;
  readonly assignWarning: RepeatedWarning;
}
