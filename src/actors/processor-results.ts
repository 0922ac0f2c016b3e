// How a processor actor settles the answers it gets: each payment ends recorded here,
// returned (definitely not recorded here: it may go anywhere), dropped (another instance
// took it over), or pinned (outcome unknown: it stays here and is tried again).
import { lookUp, pay, pin } from './processor-calls';
import type { SettledReport } from './processor-actor';
import type { ProcessorContext, ProcessorState, Result } from './processor-state';
import type { ProcessorName, RecordedPayment } from '../payment';
import type { PendingPayment } from '../store/pending-payments';

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
  lookUp(state, ctx, payment);
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
  for (const r of results) {
    if (r.kind === 'not-assigned') onNotAssigned(s, r);
    else if (r.kind === 'paid') onPaid(s, r);
    else onLookedUp(s, r);
  }
  state.recordedTotal += report.recorded.length;
  state.returnedTotal += report.returned.length;
  if (report.recorded.length + report.returned.length + report.dropped.length > 0) ctx.options.report(report);
}
