// How the supervisor hands waiting payments to the processor actors: the send budget decides
// how many may go now, routing.ts decides where, and what cannot go yet waits for the next tick.
import { TICK_TIMER } from './protocol';
import { planRoutes } from './route-plan';
import type { SupervisorContext, SupervisorState } from './state';
import { tell } from '../kit/actor';
import { allowanceOf, unavailableOf } from '../processor/availability';
import type { ProcessorName } from '../../domain/payment';
import type { PendingPayment } from '../../domain/pending-payment';

/** What a processor's breaker lets through now, as its actor last said. */
function allowance(state: SupervisorState, p: ProcessorName): number {
  return allowanceOf(state.availability[p]);
}

export function sendTo(
  state: SupervisorState,
  ctx: SupervisorContext,
  processor: ProcessorName,
  payments: PendingPayment[],
  assigned = false,
): void {
  if (payments.length === 0) return;
  state.inFlight[processor] += payments.length;
  tell(state.children.processors[processor], { type: 'send', payments, assigned });
  ctx.options.onRouted?.(processor, payments.length);
}

/**
 * When default is open and nothing waits, accepted payments will almost surely go to default at
 * once: their assignment then travels with their claim (one Redis round trip instead of two).
 * Should routing decide otherwise by the time the claim answers, the assignment is only dropped
 * here: the next one written replaces it, and one that was never sent is harmless (recovery would
 * send it to default with that requestedAt, where it was never recorded).
 */
export function preassign(state: SupervisorState, ctx: SupervisorContext, payments: PendingPayment[]): void {
  if (state.queue.length > 0 || allowance(state, 'default') !== Number.POSITIVE_INFINITY) return;
  const requestedAt = new Date(ctx.now()).toISOString();
  for (const p of payments) p.assignment = { processor: 'default', requestedAt };
}

/** Drops assignments made with the claim: these payments go elsewhere, or later, with a new one. */
function unassigned(payments: PendingPayment[]): PendingPayment[] {
  for (const p of payments) p.assignment = undefined;
  return payments;
}

/** How many more payments a processor may take now: its breaker's allowance, the in-flight cap, one probe. */
function capacity(state: SupervisorState, ctx: SupervisorContext, p: ProcessorName): number {
  const allowed = allowance(state, p);
  if (allowed !== Number.POSITIVE_INFINITY && state.probeOut[p]) return 0;
  return Math.min(allowed, ctx.options.maxInFlight - state.inFlight[p]);
}

/** Sends what the plan gave one processor; default's pre-assigned payments skip a second Redis write. */
function dispatch(state: SupervisorState, ctx: SupervisorContext, p: ProcessorName, batch: PendingPayment[]): void {
  if (batch.length === 0) return;
  if (allowance(state, p) !== Number.POSITIVE_INFINITY) state.probeOut[p] = true;
  if (p === 'fallback') return sendTo(state, ctx, p, unassigned(batch));
  sendTo(
    state,
    ctx,
    p,
    batch.filter((x) => x.assignment),
    true,
  );
  sendTo(
    state,
    ctx,
    p,
    batch.filter((x) => !x.assignment),
  );
}

/**
 * Offers the front of the queue, as many as the budget and both processors may take now, and puts back
 * in front what the plan leaves waiting: a tick costs what it moves (PROCESSOR_MAX_IN_FLIGHT at most per
 * processor), not the length of the backlog.
 */
export function route(state: SupervisorState, ctx: SupervisorContext): void {
  if (state.queue.length === 0 || state.stopped) return;
  const allowed = ctx.budget.available();
  if (allowed < 1) return tickLater(state, ctx); // the tick comes back for them
  const room = Math.max(0, capacity(state, ctx, 'default')) + Math.max(0, capacity(state, ctx, 'fallback'));
  const offered = state.queue.take(Math.min(allowed, room));
  if (offered.length > 0) {
    const plan = planRoutes({
      queue: offered,
      now: ctx.now(),
      defaultWaitMs: ctx.options.defaultWaitMs,
      capacity: (p) => capacity(state, ctx, p),
      unavailable: (p) => unavailableOf(state.availability[p]),
    });
    dispatch(state, ctx, 'default', plan.default);
    dispatch(state, ctx, 'fallback', plan.fallback);
    ctx.budget.spend(plan.default.length + plan.fallback.length);
    state.queue.putBack(unassigned(plan.waiting));
  }
  if (state.queue.length > 0) tickLater(state, ctx);
}

/** What waits is looked at again every tickMs: a breaker half-opens, a wait runs out, the budget refills. */
export function tickLater(state: SupervisorState, ctx: SupervisorContext): void {
  if (state.stopped || ctx.actor.timers.isActive(TICK_TIMER)) return;
  ctx.actor.timers.startSingle(TICK_TIMER, { type: 'tick' }, ctx.options.tickMs);
}
