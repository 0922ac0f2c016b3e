// One handler per writer message. An INSERT runs while the mailbox goes on (its outcome comes back as
// 'inserted' or 'insert-failed'): an inspection is answered at once even while Postgres holds a write.
import { FLUSH_TIMER, type WriterInternalMsg, type WriterMsg } from './protocol';
import type { WriterContext, WriterState } from './state';

type Msg<T extends (WriterMsg | WriterInternalMsg)['type']> = Extract<WriterMsg | WriterInternalMsg, { type: T }>;

/** Starts the next INSERT (one at a time, batchSize rows at most). */
function insertNext(state: WriterState, ctx: WriterContext): void {
  if (state.inserting > 0 || state.buffer.length === 0) return;
  const batch = state.buffer.slice(0, ctx.options.batchSize);
  state.inserting = batch.length;
  const started = performance.now();
  ctx.actor.pipeToSelf(
    ctx.options.sink.insert(batch),
    () => ({ type: 'inserted', rows: batch.length, ms: performance.now() - started }),
    (err) => ({ type: 'insert-failed', rows: batch.length, err }),
  );
}

function flushLater(ctx: WriterContext, ms: number): void {
  if (!ctx.actor.timers.isActive(FLUSH_TIMER)) ctx.actor.timers.startSingle(FLUSH_TIMER, { type: 'flush' }, ms);
}

export function onWrite(state: WriterState, ctx: WriterContext, msg: Msg<'write'>): void {
  for (const p of msg.payments) state.buffer.push(p);
  state.rowsGiven += msg.payments.length;
  if (state.buffer.length - state.inserting < ctx.options.batchSize) return flushLater(ctx, ctx.options.flushMs);
  // A full batch: everything buffered goes now, in INSERTs of batchSize rows.
  state.flushUpTo = state.rowsGiven;
  insertNext(state, ctx);
}

export function onFlush(state: WriterState, ctx: WriterContext, msg: Msg<'flush'>): void {
  if (msg.replyTo) state.waiters.push({ upTo: state.rowsGiven, replyTo: msg.replyTo });
  state.flushUpTo = state.rowsGiven;
  answerWaiters(state, true);
  insertNext(state, ctx);
}

/** Flushes waiting for rows already written are answered `ok`. */
function answerWaiters(state: WriterState, ok: boolean): void {
  if (state.waiters.length === 0) return;
  const done = ok ? state.waiters.filter((w) => w.upTo <= state.stats.rowsWritten) : state.waiters;
  state.waiters = ok ? state.waiters.filter((w) => w.upTo > state.stats.rowsWritten) : [];
  for (const w of done) w.replyTo(ok);
}

export function onInserted(state: WriterState, ctx: WriterContext, msg: Msg<'inserted'>): void {
  const { options } = ctx;
  const batch = state.buffer.splice(0, msg.rows);
  state.inserting = 0;
  ctx.flushWarning.recovered({ writer: options.name });
  state.stats = {
    ...state.stats,
    flushes: state.stats.flushes + 1,
    rowsWritten: state.stats.rowsWritten + msg.rows,
    lastBatchSize: msg.rows,
    lastFlushMs: msg.ms,
  };
  options.onFlush?.(msg.rows, msg.ms / 1000);
  const ids = batch.map((p) => p.correlationId);
  options.onWritten?.(ids);
  // Postgres has them now; a failure here only leaves a pending entry that recovery finds already written.
  ctx.actor.pipeToSelf(
    options.pending.complete(ids),
    () => ({ type: 'released' }),
    (err) => ({ type: 'released', err }),
  );
  answerWaiters(state, true);
  if (state.stats.rowsWritten < state.flushUpTo) insertNext(state, ctx);
  else if (state.buffer.length > 0) flushLater(ctx, options.flushMs);
}

/** Postgres refused: the rows stay first in the buffer and are tried again after retryMs. */
export function onInsertFailed(state: WriterState, ctx: WriterContext, msg: Msg<'insert-failed'>): void {
  state.inserting = 0;
  state.stats.failedFlushes++;
  const { name, retryMs } = ctx.options;
  ctx.flushWarning.failed({ writer: name, rows: msg.rows, buffered: state.buffer.length, err: msg.err });
  answerWaiters(state, false);
  flushLater(ctx, retryMs);
}

export function onReleased(ctx: WriterContext, msg: Msg<'released'>): void {
  const writer = ctx.options.name;
  if (msg.err === undefined) ctx.releaseWarning.recovered({ writer });
  else ctx.releaseWarning.failed({ writer, err: msg.err });
}

export function onInspect(state: WriterState, ctx: WriterContext, msg: Msg<'inspect'>): void {
  msg.replyTo({
    name: ctx.options.name,
    buffered: state.buffer.length,
    mailbox: ctx.actor.self.mailboxLength,
    ...state.stats,
  });
}
