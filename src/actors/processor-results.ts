// How a processor actor settles the answers it gets: each payment ends recorded here,
// returned (definitely not recorded here: it may go anywhere), dropped (another instance
// took it over), or pinned (outcome unknown: it stays here and is tried again).
import { lookUp, pin } from './processor-calls';
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
  if (!pinned) pin(state, ctx, payment, ctx.now());
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

function onLookedUp(s: Settling, { payment, lookup, at }: Extract<Result, { kind: 'looked-up' }>): void {
  const pinned = s.state.pinned.get(payment.correlationId);
  if (pinned) pinned.busy = false;
  if (lookup.found === true)
    recorded(s, payment, at, {
      amountCents: Math.round(lookup.amount * 100),
      requestedAt: new Date(lookup.requestedAt).toISOString(),
    });
  else if (lookup.found === false) giveBack(s, payment);
  else if (pinned) pinned.nextTryAt = s.ctx.now() + s.ctx.options.pinnedRetryMs;
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
