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
  /** These payments are in Postgres now (the supervisor stops holding them). */
  onWritten?: (correlationIds: string[]) => void;
}

interface WriterState {
  buffer: RecordedPayment[];
  timer: NodeJS.Timeout | null;
  stats: Omit<WriterSnapshot, 'name' | 'buffered' | 'mailbox'>;
}

/** What every handler may touch besides the state. */
interface WriterContext {
  options: WriterOptions;
  self: ActorRef<WriterMsg>;
  flushWarning: RepeatedWarning;
  releaseWarning: RepeatedWarning;
}

function schedule(state: WriterState, ctx: WriterContext, ms: number): void {
  if (state.timer) return;
  state.timer = setTimeout(() => {
    state.timer = null;
    tell(ctx.self, { type: 'flush' });
  }, ms);
}

/** Inserts one batch; false when Postgres refused (the rows stay buffered). */
async function insertBatch(state: WriterState, ctx: WriterContext, batch: RecordedPayment[]): Promise<boolean> {
  const { options } = ctx;
  const started = performance.now();
  try {
    await options.sink.insert(batch);
  } catch (err) {
    state.stats.failedFlushes++;
    ctx.flushWarning.failed({ writer: options.name, rows: batch.length, buffered: state.buffer.length, err });
    return false;
  }
  ctx.flushWarning.recovered({ writer: options.name });
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
  const ids = batch.map((p) => p.correlationId);
  options.onWritten?.(ids);
  // Postgres has them now; a failure here only leaves a pending entry that recovery finds already written.
  options.pending.complete(ids).then(
    () => ctx.releaseWarning.recovered({ writer: options.name }),
    (err) => ctx.releaseWarning.failed({ writer: options.name, err }),
  );
  return true;
}

/** Writes everything buffered; returns false when Postgres refused (the rows stay buffered). */
async function flush(state: WriterState, ctx: WriterContext): Promise<boolean> {
  while (state.buffer.length > 0) {
    if (!(await insertBatch(state, ctx, state.buffer.slice(0, ctx.options.batchSize)))) return false;
  }
  return true;
}

async function onWrite(state: WriterState, ctx: WriterContext, msg: Extract<WriterMsg, { type: 'write' }>) {
  for (const p of msg.payments) state.buffer.push(p);
  if (state.buffer.length < ctx.options.batchSize) return schedule(state, ctx, ctx.options.flushMs);
  if (!(await flush(state, ctx))) schedule(state, ctx, ctx.options.retryMs);
}

async function onFlush(state: WriterState, ctx: WriterContext, msg: Extract<WriterMsg, { type: 'flush' }>) {
  const ok = await flush(state, ctx);
  if (!ok) schedule(state, ctx, ctx.options.retryMs);
  msg.replyTo?.(ok);
}

export function spawnBatchWriter(parent: unknown, options: WriterOptions): ActorRef<WriterMsg> {
  const repeatMs = options.logRepeatMs ?? 10_000;
  const ctx = {
    options,
    flushWarning: new RepeatedWarning(options.log, 'writer-flush-failed', repeatMs),
    releaseWarning: new RepeatedWarning(options.log, 'pending-release-failed', repeatMs),
  } as { self: ActorRef<WriterMsg> } & Omit<WriterContext, 'self'>;
  ctx.self = spawnActor<WriterState, WriterMsg>(parent, {
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
          await onWrite(state, ctx, msg);
          break;
        case 'flush':
          await onFlush(state, ctx, msg);
          break;
        case 'inspect':
          msg.replyTo({
            name: options.name,
            buffered: state.buffer.length,
            mailbox: ctx.self.mailbox(),
            ...state.stats,
          });
          break;
      }
      return state;
    },
  });
  return ctx.self;
}
