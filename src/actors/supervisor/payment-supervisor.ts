// The supervisor: the one place a payment's route is decided. It owns one actor per
// processor and the batching writers. Accepted payments are first made durable and
// deduplicated in Redis (the claim), then checked against the payments table for ids
// older than Redis' window (the look-up), then wait in its queue until a processor may
// take them:
//   default whenever its breaker lets payments through;
//   fallback when default is too slow for the consistency window, or when a payment
//   has waited DEFAULT_WAIT_MS for a failing default;
//   neither: the payment waits (it is never dropped).
import {
  onAccepted,
  onAvailability,
  onClaimed,
  onFlush,
  onFlushWriters,
  onHealth,
  onInspect,
  onLookedUp,
  onPurge,
  onRecovered,
  onSettled,
  onStage,
  onStop,
  onWritten,
} from './handlers';
import type { SupervisorInternalMsg, SupervisorMsg, SupervisorOptions } from './protocol';
import { route } from './routing';
import { SendBudget } from './send-budget';
import { claimStage, lookupStage } from './stages';
import type { SupervisorContext, SupervisorState } from './state';
import { initialSupervisorState } from './state';
import { assertNever } from '../kit/assert-never';
import { spawn, type ActorContext, type ActorParent, type ActorRef } from '../kit/actor';

/** The switch only dispatches: each message has its handler in supervisor-handlers.ts. */
function dispatch(
  state: SupervisorState,
  ctx: SupervisorContext,
  msg: SupervisorMsg | SupervisorInternalMsg,
): SupervisorState {
  switch (msg.type) {
    case 'accepted':
      onAccepted(state, ctx, msg);
      break;
    case 'claim-answered':
    case 'lookup-answered':
    case 'stage-wake':
      onStage(ctx, msg);
      break;
    case 'recovered':
      onRecovered(state, ctx, msg);
      break;
    case 'availability':
      onAvailability(state, ctx, msg);
      break;
    case 'settled':
      onSettled(state, ctx, msg);
      break;
    case 'written':
      onWritten(state, msg);
      break;
    case 'health':
      onHealth(state, msg);
      break;
    case 'tick':
      route(state, ctx);
      break;
    case 'flush':
      onFlush(state, ctx, msg);
      break;
    case 'flush-writers':
      onFlushWriters(state, msg);
      break;
    case 'held':
      msg.replyTo([...state.held.values()]);
      break;
    case 'purge':
      onPurge(state, ctx, msg);
      break;
    case 'inspect':
      onInspect(state, ctx, msg);
      break;
    case 'stop':
      onStop(state, ctx, msg);
      break;
    default:
      return assertNever(msg);
  }
  if (state.held.size !== state.heldReported) {
    state.heldReported = state.held.size;
    ctx.options.onHeld?.(state.held.size);
  }
  return state;
}

/** The context, with its two stages wired to the handlers that settle their answers. */
function contextOf(
  state: SupervisorState,
  options: SupervisorOptions,
  actor: ActorContext<SupervisorMsg | SupervisorInternalMsg>,
): SupervisorContext {
  const now = options.now ?? Date.now;
  const wiring = { options, now, actor };
  const ctx: SupervisorContext = {
    options,
    now,
    actor,
    claims: claimStage(wiring, (payments, offered) => onClaimed(state, ctx, { payments, offered })),
    lookups: lookupStage(wiring, (answer) => onLookedUp(state, ctx, answer)),
    budget: new SendBudget(options.sendRatePerS ?? 0, now),
  };
  return ctx;
}

export function spawnSupervisor(parent: ActorParent, options: SupervisorOptions): ActorRef<SupervisorMsg> {
  let ctx: SupervisorContext | undefined;
  return spawn<SupervisorState, SupervisorMsg, SupervisorInternalMsg>(parent, {
    name: 'supervisor',
    initialState: (actor) => {
      const state = initialSupervisorState();
      ctx ??= contextOf(state, options, actor);
      return state;
    },
    // A crash while routing must not forget the waiting payments: keep the state.
    onCrash: 'resume',
    onError: (err, msg) => options.log.error('actor-crashed', { actor: 'supervisor', message: msg.type, err }),
    handle: (state, msg) => dispatch(state, ctx!, msg),
    // Its children are spawned as it starts, before any message is handled: they report to it.
    setup: (state, actor) => (state.children = options.spawnChildren(actor.self)),
  });
}
