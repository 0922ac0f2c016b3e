// One actor per Payment Processor. It sends the payments the supervisor gives it,
// makes sure each is recorded by its processor exactly once, and reports back what
// was recorded and what came back unrecorded (safe to send elsewhere), and, whenever
// it changes, what may be routed to it (its availability).
//
// Exactly-once: before a payment is sent, its assignment (processor, requestedAt) is
// written to Redis. When an answer is lost (time-out, broken connection), the payment
// is "pinned" to this processor: it is sent again with the same body until the
// processor answers 200 or 422 (both mean recorded), or, once no attempt can still be
// in the processor's hands, GET /payments/{id} says it is not there.
import { onDrain, onHandBack, onInspect, onSend, onStopWatching, onWatch, watchLater } from './handlers';
import type { ProcessorActorOptions, ProcessorInternalMsg, ProcessorMsg } from './protocol';
import { settleResults, tellAvailability } from './results';
import { ProcessorState, type ProcessorContext } from './state';
import { assertNever } from '../kit/assert-never';
import { spawn, type ActorContext, type ActorParent, type ActorRef } from '../kit/actor';
import { RepeatedWarning } from '../../shared/repeated-warning';

type AnyMsg = ProcessorMsg | ProcessorInternalMsg;

/** The switch only dispatches: each message has its handler in handlers.ts (answers: results.ts). */
function dispatch(state: ProcessorState, ctx: ProcessorContext, msg: AnyMsg): ProcessorState {
  switch (msg.type) {
    case 'send':
      onSend(state, ctx, msg);
      break;
    case 'results':
      settleResults(state, ctx, msg.results);
      watchLater(state, ctx);
      break;
    case 'health':
      state.status.onHealth(msg.health);
      break;
    case 'watch':
      onWatch(state, ctx);
      break;
    case 'hand-back':
      onHandBack(state, ctx);
      break;
    case 'cooled-down':
      break; // what changed is told below
    case 'drain':
      onDrain(state, ctx, msg);
      break;
    case 'inspect':
      onInspect(state, ctx, msg);
      break;
    case 'stop-watching':
      onStopWatching(state, ctx);
      break;
    default:
      return assertNever(msg);
  }
  tellAvailability(state, ctx);
  return state;
}

export function spawnProcessorActor(parent: ActorParent, options: ProcessorActorOptions): ActorRef<ProcessorMsg> {
  const now = options.now ?? Date.now;
  const { processor, log } = options;
  const assignWarning = new RepeatedWarning(log, 'assignment-failed', options.logRepeatMs ?? 10_000, now);
  const contextOf = (actor: ActorContext<AnyMsg>): ProcessorContext => ({
    options,
    now,
    actor,
    assignWarning,
    results: actor.outcomeBatch((results) => ({ type: 'results', results })),
  });
  let ctx: ProcessorContext | undefined;
  return spawn<ProcessorState, ProcessorMsg, ProcessorInternalMsg>(parent, {
    name: `processor-${processor}`,
    initialState: (actor) => {
      ctx ??= contextOf(actor);
      return new ProcessorState(options);
    },
    // Its pinned payments must not be forgotten: a crash keeps the state.
    onCrash: 'resume',
    onError: (err, msg) => log.error('actor-crashed', { actor: `processor-${processor}`, message: msg.type, err }),
    handle: (state, msg) => dispatch(state, ctx!, msg),
  });
}
