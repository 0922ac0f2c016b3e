// A batching writer: collects recorded payments and flushes them to Postgres in
// one multi-row INSERT, at most every WRITER_FLUSH_MS or WRITER_BATCH_SIZE rows.
// Only after Postgres has them are they removed from Redis' pending payments.
// If Postgres is down, the batch stays here and is tried again: nothing is lost.
import type { ActorRef } from './actor-system';
import { spawnActor, tell } from './actor-system';
import type { Logger } from '../log';
import { RepeatedWarning } from '../repeated-warning';
import type { RecordedPayment } from '../payment';

export interface PaymentSink {
  insert(payments: RecordedPayment[]): Promise<void>;
}

export interface PendingRelease {
  complete(correlationIds: string[]): Promise<void>;
}

export type WriterMsg =
  | { type: 'write'; payments: RecordedPayment[] }
  | { type: 'flush'; replyTo?: (ok: boolean) => void }
  | { type: 'inspect'; replyTo: (snapshot: WriterSnapshot) => void };

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
}

interface WriterState {
  buffer: RecordedPayment[];
  timer: NodeJS.Timeout | null;
  stats: Omit<WriterSnapshot, 'name' | 'buffered' | 'mailbox'>;
}

export function spawnBatchWriter(parent: unknown, options: WriterOptions): ActorRef<WriterMsg> {
  let self: ActorRef<WriterMsg>;
  const flushWarning = new RepeatedWarning(options.log, 'writer-flush-failed', options.logRepeatMs ?? 10_000);
  const releaseWarning = new RepeatedWarning(options.log, 'pending-release-failed', options.logRepeatMs ?? 10_000);

  const schedule = (state: WriterState, ms: number) => {
    if (state.timer) return;
    state.timer = setTimeout(() => {
      state.timer = null;
      tell(self, { type: 'flush' });
    }, ms);
  };

  // Writes everything buffered; returns false when Postgres refused (the rows stay buffered).
  const flush = async (state: WriterState): Promise<boolean> => {
    while (state.buffer.length > 0) {
      const batch = state.buffer.slice(0, options.batchSize);
      const started = performance.now();
      try {
        await options.sink.insert(batch);
      } catch (err) {
        state.stats.failedFlushes++;
        flushWarning.failed({ writer: options.name, rows: batch.length, buffered: state.buffer.length, err });
        return false;
      }
      flushWarning.recovered({ writer: options.name });
      state.buffer.splice(0, batch.length);
      const ms = performance.now() - started;
      state.stats = {
        ...state.stats,
        flushes: state.stats.flushes + 1,
        rowsWritten: state.stats.rowsWritten + batch.length,
        lastBatchSize: batch.length,
        lastFlushMs: ms,
      };
      options.onFlush?.(batch.length, ms / 1000);
      // Postgres has them now; a failure here only leaves a pending entry that recovery finds already written.
      options.pending.complete(batch.map((p) => p.correlationId)).then(
        () => releaseWarning.recovered({ writer: options.name }),
        (err) => releaseWarning.failed({ writer: options.name, err }),
      );
    }
    return true;
  };

  self = spawnActor<WriterState, WriterMsg>(parent, {
    name: options.name,
    initialState: () => ({
      buffer: [],
      timer: null,
      stats: { flushes: 0, rowsWritten: 0, lastBatchSize: 0, lastFlushMs: 0, failedFlushes: 0 },
    }),
    onCrash: 'resume',
    onError: (err, msg) => options.log.error('actor-crashed', { actor: options.name, message: msg.type, err }),
    handle: async (state, msg) => {
      switch (msg.type) {
        case 'write':
          for (const p of msg.payments) state.buffer.push(p);
          if (state.buffer.length >= options.batchSize) {
            if (!(await flush(state))) schedule(state, options.retryMs);
          } else schedule(state, options.flushMs);
          break;
        case 'flush': {
          const ok = await flush(state);
          if (!ok) schedule(state, options.retryMs);
          msg.replyTo?.(ok);
          break;
        }
        case 'inspect':
          msg.replyTo({ name: options.name, buffered: state.buffer.length, mailbox: self.mailbox(), ...state.stats });
          break;
      }
      return state;
    },
  });
  return self;
}
