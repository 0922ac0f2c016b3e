// A batching writer's protocol: what the supervisor tells it, what it tells itself (its INSERTs' outcomes, its
// timer), its snapshot, and how it is set up.
import type { Logger } from '../../shared/log';
import type { RecordedPayment } from '../../domain/payment';

/** What others may tell a writer. */
export type WriterMsg =
  | { type: 'write'; payments: RecordedPayment[] }
  /** Writes everything buffered; replyTo hears whether it is in Postgres (false: Postgres refused, it stays). */
  | { type: 'flush'; replyTo?: (ok: boolean) => void }
  | { type: 'inspect'; replyTo: (snapshot: WriterSnapshot) => void };

/** What only the writer tells itself. */
export type WriterInternalMsg =
  | { type: 'inserted'; rows: number; ms: number }
  | { type: 'insert-failed'; rows: number; err: unknown }
  /** Releasing written payments from Redis' pending ones answered (a failure only leaves work for recovery). */
  | { type: 'released'; err?: unknown };

/** The key of its timer: the flush window, or the retry after Postgres refused. */
export const FLUSH_TIMER = 'flush';

export interface WriterSnapshot {
  name: string;
  buffered: number;
  mailbox: number;
  flushes: number;
  rowsWritten: number;
  lastBatchSize: number;
  lastFlushMs: number;
  failedFlushes: number;
}

export interface PaymentSink {
  insert(payments: RecordedPayment[]): Promise<void>;
}

export interface PendingRelease {
  complete(correlationIds: string[]): Promise<void>;
}

export interface WriterOptions {
  name: string;
  sink: PaymentSink;
  pending: PendingRelease;
  batchSize: number;
  flushMs: number;
  retryMs: number;
  /** A failure that repeats is logged at most once per this many ms. */
  logRepeatMs?: number;
  log: Logger;
  onFlush?: (rows: number, seconds: number) => void;
  /** These payments are in Postgres now (the supervisor stops holding them). */
  onWritten?: (correlationIds: string[]) => void;
}
