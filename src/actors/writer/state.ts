// What a writer holds between messages, and what its handlers may touch.
import type { WriterInternalMsg, WriterMsg, WriterOptions, WriterSnapshot } from './protocol';
import type { ActorContext } from '../kit/actor';
import type { RepeatedWarning } from '../../shared/repeated-warning';
import type { RecordedPayment } from '../../domain/payment';

/** A flush that asked for an answer: it is answered once the rows up to `upTo` are written. */
export interface FlushWaiter {
  upTo: number;
  replyTo: (ok: boolean) => void;
}

/**
 * Bounded by the supervisor's MAX_HELD: a recorded payment stays held there until its writer reports it written,
 * so `buffer` holds at most that many rows; `waiters` holds one per summary barrier in progress.
 */
export interface WriterState {
  /** Rows not yet in Postgres, oldest first; the first `inserting` of them are in the INSERT under way. */
  buffer: RecordedPayment[];
  inserting: number;
  /** Rows ever given to this writer: a flush waits until rowsWritten reaches what was given before it. */
  rowsGiven: number;
  /**
   * A flush (its window, a full batch, or a summary's barrier) asked for every row given up to this count: INSERTs
   * follow one another until those are written. Rows given after it wait for the next flush, so that they gather
   * into a batch instead of trickling in after each INSERT.
   */
  flushUpTo: number;
  waiters: FlushWaiter[];
  stats: Omit<WriterSnapshot, 'name' | 'buffered' | 'mailbox'>;
}

export function initialWriterState(): WriterState {
  return {
    buffer: [],
    inserting: 0,
    rowsGiven: 0,
    flushUpTo: 0,
    waiters: [],
    stats: { flushes: 0, rowsWritten: 0, lastBatchSize: 0, lastFlushMs: 0, failedFlushes: 0 },
  };
}

/** What every handler may touch besides the state. */
export interface WriterContext {
  readonly options: WriterOptions;
  readonly actor: ActorContext<WriterMsg | WriterInternalMsg>;
  readonly flushWarning: RepeatedWarning;
  readonly releaseWarning: RepeatedWarning;
}
