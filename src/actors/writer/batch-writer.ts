// A batching writer: collects recorded payments and flushes them to Postgres in
// one multi-row INSERT, at most every WRITER_FLUSH_MS or WRITER_BATCH_SIZE rows.
// Only after Postgres has them are they removed from Redis' pending payments.
// If Postgres is down, the batch stays here and is tried again: nothing is lost.
import { onFlush, onInspect, onInserted, onInsertFailed, onReleased, onWrite } from './handlers';
import type { WriterInternalMsg, WriterMsg, WriterOptions } from './protocol';
import { initialWriterState, type WriterContext, type WriterState } from './state';
import { assertNever } from '../kit/assert-never';
import { spawn, type ActorParent, type ActorRef } from '../kit/actor';
import { RepeatedWarning } from '../../shared/repeated-warning';

/** The switch only dispatches: each message has its handler in handlers.ts. */
function dispatch(state: WriterState, ctx: WriterContext, msg: WriterMsg | WriterInternalMsg): WriterState {
  switch (msg.type) {
    case 'write':
      onWrite(state, ctx, msg);
      break;
    case 'flush':
      onFlush(state, ctx, msg);
      break;
    case 'inserted':
      onInserted(state, ctx, msg);
      break;
    case 'insert-failed':
      onInsertFailed(state, ctx, msg);
      break;
    case 'released':
      onReleased(ctx, msg);
      break;
    case 'inspect':
      onInspect(state, ctx, msg);
      break;
    default:
      return assertNever(msg);
  }
  return state;
}

export function spawnBatchWriter(parent: ActorParent, options: WriterOptions): ActorRef<WriterMsg> {
  const repeatMs = options.logRepeatMs ?? 10_000;
  const flushWarning = new RepeatedWarning(options.log, 'writer-flush-failed', repeatMs);
  const releaseWarning = new RepeatedWarning(options.log, 'pending-release-failed', repeatMs);
  let ctx: WriterContext | undefined;
  return spawn<WriterState, WriterMsg, WriterInternalMsg>(parent, {
    name: options.name,
    initialState: (actor) => {
      ctx ??= { options, actor, flushWarning, releaseWarning };
      return initialWriterState();
    },
    // Its buffer holds rows not yet in Postgres: a crash keeps them.
    onCrash: 'resume',
    onError: (err, msg) => options.log.error('actor-crashed', { actor: options.name, message: msg.type, err }),
    handle: (state, msg) => dispatch(state, ctx!, msg),
  });
}
