// One handler per processor actor message (results.ts settles the answers). Each takes the state, the context
// (state.ts) and the message, and is dispatched by the switch in processor-actor.ts.
import { assign, checkOwnership, pay, pin } from './calls';
import { WATCH_TIMER, type ProcessorInternalMsg, type ProcessorMsg } from './protocol';
import { settleResults } from './results';
import type { ProcessorContext, ProcessorState } from './state';

type Msg<T extends (ProcessorMsg | ProcessorInternalMsg)['type']> = Extract<
  ProcessorMsg | ProcessorInternalMsg,
  { type: T }
>;

export function onSend(state: ProcessorState, ctx: ProcessorContext, msg: Msg<'send'>): void {
  const t = ctx.now();
  for (const p of msg.payments) state.inFlight.set(p.correlationId, t);
  if (msg.assigned === true) {
    for (const p of msg.payments) pay(state, ctx, p, false);
  } else {
    for (const p of msg.payments) {
      // A payment recovered with an assignment here may have reached the processor already.
      if (p.assignment) pin(state, ctx, p, t);
      else p.assignment = { processor: ctx.options.processor, requestedAt: new Date(t).toISOString() };
    }
    const fresh = msg.payments.filter((p) => !state.pinned.has(p.correlationId));
    if (fresh.length > 0) assign(ctx, fresh);
  }
  watchLater(state, ctx);
}

/**
 * When the oldest payment unanswered (pinned ones excepted) was sent, or null. Payments sent before the
 * breaker last closed (slow probes) say nothing about now.
 */
function oldestSentAt(state: ProcessorState): number | null {
  const since = state.status.breaker.closedAt;
  for (const [id, sentAt] of state.inFlight) {
    if (state.pinned.has(id) || sentAt < since) continue;
    return sentAt;
  }
  return null;
}

/** Answers that reached us but wait for their 'results' message are settled now. */
function settleArrived(state: ProcessorState, ctx: ProcessorContext): void {
  const arrived = ctx.results.takeArrived();
  if (arrived.length > 0) settleResults(state, ctx, arrived);
}

/** Ages of what is in flight feed the status; pinned payments due again are tried or looked up. */
export function onWatch(state: ProcessorState, ctx: ProcessorContext): void {
  // An answer read in this turn, before this message, is not a payment still unanswered.
  settleArrived(state, ctx);
  const t = ctx.now();
  // The oldest payment still unanswered bounds the processor's delay from below.
  const oldest = oldestSentAt(state);
  if (oldest !== null) state.status.onInFlightAge(t - oldest);
  const due = [...state.pinned.values()].filter((p) => !p.busy && t >= p.nextTryAt);
  for (const pinned of due) pinned.busy = true;
  if (due.length > 0) checkOwnership(ctx, due);
  watchLater(state, ctx);
}

export function onDrain(state: ProcessorState, ctx: ProcessorContext, msg: Msg<'drain'>): void {
  settleArrived(state, ctx);
  msg.replyTo();
}

/** Payments whose assignment failed go back to the supervisor, a pause after the failure. */
export function onHandBack(state: ProcessorState, ctx: ProcessorContext): void {
  const payments = state.unassigned;
  state.unassigned = [];
  settleResults(state, ctx, [{ kind: 'not-assigned', payments, owned: true }]);
}

/**
 * The next watch, pending only while payments are in flight (an idle actor wakes for nothing): when the
 * oldest payment would become late, so a slowdown is seen as soon as it shows, or after watchMs at most.
 */
export function watchLater(state: ProcessorState, ctx: ProcessorContext): void {
  if (!state.watching || state.inFlight.size === 0) return;
  const t = ctx.now();
  const oldest = state.status.breaker.state === 'closed' ? oldestSentAt(state) : null;
  const lateAt = oldest === null ? Infinity : oldest + state.status.slowAfterMs();
  const delay = Math.max(1, Math.min(ctx.options.watchMs, Math.ceil(lateAt) - t));
  const pending = ctx.actor.timers.msUntil(WATCH_TIMER);
  if (pending !== undefined && pending <= delay) return;
  ctx.actor.timers.startSingle(WATCH_TIMER, { type: 'watch' }, delay);
}

export function onInspect(state: ProcessorState, ctx: ProcessorContext, msg: Msg<'inspect'>): void {
  const processor = ctx.options.processor;
  msg.replyTo({
    name: `processor-${processor}`,
    processor,
    ...state.status.snapshot(),
    inFlight: state.inFlight.size,
    pinned: state.pinned.size,
    mailbox: ctx.actor.self.mailboxLength,
    recordedTotal: state.recordedTotal,
    returnedTotal: state.returnedTotal,
  });
}

export function onStopWatching(state: ProcessorState, ctx: ProcessorContext): void {
  state.watching = false;
  ctx.actor.timers.cancel(WATCH_TIMER);
}
