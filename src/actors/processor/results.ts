// How a processor actor settles the answers it gets: each payment ends recorded here,
// returned (definitely not recorded here: it may go anywhere), dropped (another instance
// took it over), or pinned (outcome unknown: it stays here and is tried again).
import { sameAvailability } from './availability';
import { lookUp, pay, pin } from './calls';
import { COOL_DOWN_TIMER, HAND_BACK_TIMER, type Result, type SettledReport } from './protocol';
import type { Pinned, ProcessorContext, ProcessorState } from './state';
import { assertNever } from '../kit/assert-never';
import type { ProcessorName, RecordedPayment } from '../../domain/payment';
import type { PendingPayment } from '../../domain/pending-payment';

type Settling = { state: ProcessorState; ctx: ProcessorContext; report: SettledReport };

/** What the processor holds: as we sent it, or, from a look-up, its own amount and requestedAt. */
type Held = { amountCents: number; requestedAt: string };

function recordedOf(
  payment: PendingPayment,
  processor: ProcessorName,
  answeredAt: number,
  held?: Held,
): RecordedPayment {
  return {
    correlationId: payment.correlationId,
    amountCents: held?.amountCents ?? payment.amountCents,
    requestedAt: held?.requestedAt ?? payment.assignment!.requestedAt,
    processor,
    answeredAt,
  };
}

function done({ state }: Settling, p: PendingPayment): void {
  state.inFlight.delete(p.correlationId);
  state.pinned.delete(p.correlationId);
}

/** Not recorded here: it may go anywhere, with a new requestedAt. */
function giveBack(s: Settling, p: PendingPayment): void {
  done(s, p);
  p.assignment = undefined;
  s.report.returned.push(p);
}

function recorded(s: Settling, p: PendingPayment, answeredAt: number, held?: Held): void {
  done(s, p);
  s.report.recorded.push(recordedOf(p, s.ctx.options.processor, answeredAt, held));
}

function onNotAssigned(s: Settling, r: Extract<Result, { kind: 'not-assigned' }>): void {
  for (const p of r.payments) {
    if (r.owned) giveBack(s, p);
    else {
      done(s, p);
      s.report.dropped.push(p.correlationId);
    }
  }
}

/**
 * 422: the processor had it already. An earlier attempt of ours with the same body, or another instance's
 * with the requestedAt it stamped, or a client's re-post with another amount: only the processor knows
 * which, so what it holds is looked up and recorded (pinned here meanwhile: it is this processor's).
 */
function onDuplicate(s: Settling, payment: PendingPayment): void {
  const { state, ctx } = s;
  const pinned = state.pinned.get(payment.correlationId);
  // Pinned already: a 422 again (its look-up found nothing, or did not answer), looked up on its next turn.
  if (pinned) return void (pinned.nextTryAt = ctx.now() + ctx.options.pinnedRetryMs);
  pin(state, ctx, payment, ctx.now());
  state.pinned.get(payment.correlationId)!.busy = true;
  lookUp(ctx, payment);
}

function onPaid(s: Settling, { payment, attempt, at }: Extract<Result, { kind: 'paid' }>): void {
  const { state, ctx } = s;
  // A 422 came after the processor's delay, as a 200 does: it says as much about its speed.
  state.status.onAttempt(attempt.outcome === 'duplicate' ? 'recorded' : attempt.outcome, attempt.latencyMs);
  const pinned = state.pinned.get(payment.correlationId);
  if (pinned) pinned.busy = false;
  if (attempt.outcome === 'recorded') return recorded(s, payment, at);
  if (attempt.outcome === 'duplicate') return onDuplicate(s, payment);
  if (attempt.outcome === 'unknown') {
    const { processor, log } = ctx.options;
    log.debug('payment-outcome-unknown', { processor, correlationId: payment.correlationId, status: attempt.status });
    if (!pinned) return pin(state, ctx, payment, ctx.now());
    pinned.ambiguousSince = ctx.now();
    pinned.nextTryAt = ctx.now() + ctx.options.pinnedRetryMs;
  } else if (pinned) {
    // Rejected now, but an earlier lost attempt may still be recorded: keep it here.
    pinned.nextTryAt = ctx.now() + ctx.options.pinnedRetryMs;
  } else giveBack(s, payment);
}

/**
 * A pinned payment looked up. Found: recorded as the processor holds it, and the processor, though slower than
 * our time-out, does record. Not found (or no answer) while an attempt may still be in the processor's hands:
 * sent again to the same processor (which keeps each id once, so this is safe). Once none can be: not found
 * gives it back, free to go anywhere; no answer, looked up again on its next turn.
 */
function onLookedUp(s: Settling, { payment, lookup, at }: Extract<Result, { kind: 'looked-up' }>): void {
  const { state, ctx } = s;
  const pinned = state.pinned.get(payment.correlationId);
  if (pinned) pinned.busy = false;
  if (lookup.found === true) {
    if (pinned) state.status.onFoundRecorded(at - pinned.pinnedAt);
    return recorded(s, payment, at, {
      amountCents: Math.round(lookup.amount * 100),
      requestedAt: new Date(lookup.requestedAt).toISOString(),
    });
  }
  if (!pinned) return;
  const settled = at - pinned.ambiguousSince >= ctx.options.settleMs;
  if (lookup.found === false && settled) return giveBack(s, payment);
  // Settled, but the look-up did not answer: only a look-up can tell now, on the next turn.
  if (settled) return void (pinned.nextTryAt = ctx.now() + ctx.options.pinnedRetryMs);
  // Not there yet, or the look-up did not answer: the same body again, to the same processor.
  pinned.busy = true;
  pay(state, ctx, payment, true);
}

/** Assignments written: those still owned here go out now; any taken over meanwhile are no longer ours. */
function onAssigned(s: Settling, { fresh, owned }: Extract<Result, { kind: 'assigned' }>): void {
  s.ctx.assignWarning.recovered({ processor: s.ctx.options.processor });
  const ownedIds = new Set(owned.map((p) => p.correlationId));
  const lost = fresh.filter((p) => !ownedIds.has(p.correlationId));
  if (lost.length > 0) onNotAssigned(s, { kind: 'not-assigned', payments: lost, owned: false });
  for (const p of owned) pay(s.state, s.ctx, p, false);
}

/**
 * Redis is unreachable: nothing is sent unless its assignment is durable. They go back to the supervisor after
 * a pause (the hand-back timer), so a Redis outage does not turn into a busy loop.
 */
function onAssignFailed({ state, ctx }: Settling, { fresh, err }: Extract<Result, { kind: 'assign-failed' }>): void {
  const { processor, pinnedRetryMs } = ctx.options;
  ctx.assignWarning.failed({ processor, count: fresh.length, err });
  state.unassigned.push(...fresh);
  if (!ctx.actor.timers.isActive(HAND_BACK_TIMER))
    ctx.actor.timers.startSingle(HAND_BACK_TIMER, { type: 'hand-back' }, pinnedRetryMs / 5);
}

/**
 * The fence's answer for pinned payments due again: those taken over by another instance are dropped here, those
 * still owned are looked up (what the look-up finds decides the rest). Unknown ownership (Redis unreachable)
 * waits for their next turn. One settled meanwhile is no longer pinned, and is left alone.
 */
function onOwnership(s: Settling, { due, owned }: Extract<Result, { kind: 'ownership' }>): void {
  const { state, ctx } = s;
  const stillPinned = due.map((id) => state.pinned.get(id)).filter((p): p is Pinned => p !== undefined);
  if (owned === null) {
    for (const pinned of stillPinned) {
      pinned.busy = false;
      pinned.nextTryAt = ctx.now() + ctx.options.pinnedRetryMs;
    }
    return;
  }
  const taken = stillPinned.filter((p) => !owned.has(p.payment.correlationId)).map((p) => p.payment);
  if (taken.length > 0) onNotAssigned(s, { kind: 'not-assigned', payments: taken, owned: false });
  for (const pinned of stillPinned.filter((p) => owned.has(p.payment.correlationId))) lookUp(ctx, pinned.payment);
}

function settle(s: Settling, r: Result): void {
  switch (r.kind) {
    case 'paid':
      return onPaid(s, r);
    case 'looked-up':
      return onLookedUp(s, r);
    case 'not-assigned':
      return onNotAssigned(s, r);
    case 'assigned':
      return onAssigned(s, r);
    case 'assign-failed':
      return onAssignFailed(s, r);
    case 'ownership':
      return onOwnership(s, r);
    default:
      return assertNever(r);
  }
}

/**
 * The supervisor hears of a change in what it may route here: after every message, and before a report of
 * settled payments, so that what comes back to its queue is not routed here again on what it knew before.
 */
export function tellAvailability(state: ProcessorState, ctx: ProcessorContext): void {
  const breaker = state.status.breaker;
  // Open: the supervisor hears when it half-opens, from the timer (again if it was tripped anew meanwhile).
  if (breaker.state === 'open' && !ctx.actor.timers.isActive(COOL_DOWN_TIMER))
    ctx.actor.timers.startSingle(COOL_DOWN_TIMER, { type: 'cooled-down' }, Math.max(1, breaker.msUntilProbe()));
  const now = state.status.availability();
  if (sameAvailability(now, state.availabilityTold)) return;
  state.availabilityTold = now;
  ctx.options.reportAvailability?.({ type: 'availability', processor: ctx.options.processor, availability: now });
}

/** Settles a turn's answers and reports them to the supervisor in one message. */
export function settleResults(state: ProcessorState, ctx: ProcessorContext, results: Result[]): void {
  const report: SettledReport = {
    type: 'settled',
    processor: ctx.options.processor,
    recorded: [],
    returned: [],
    dropped: [],
  };
  const s: Settling = { state, ctx, report };
  for (const r of results) settle(s, r);
  state.recordedTotal += report.recorded.length;
  state.returnedTotal += report.returned.length;
  if (report.recorded.length + report.returned.length + report.dropped.length === 0) return;
  tellAvailability(state, ctx);
  ctx.options.report(report);
}
