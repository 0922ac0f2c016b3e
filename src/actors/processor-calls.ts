// The processor actor's outbound calls: assignments to Redis, payments and look-ups to the
// processor. Every answer comes back into the mailbox as a Result, never handled here.
import { tell } from './actor-system';
import type { Pinned, ProcessorContext, ProcessorState, Result } from './processor-state';
import type { ProcessorPaymentBody } from '../payment';
import { centsToAmount } from '../payment';
import type { PaymentAttempt } from '../processor-client';
import type { PendingPayment } from '../store/pending-payments';

/** A gateway call that rejected: its outcome is unknown (the processor may have recorded it). */
const UNKNOWN_ATTEMPT: PaymentAttempt = { outcome: 'unknown', status: null, latencyMs: 0 };

function bodyOf(payment: PendingPayment): ProcessorPaymentBody {
  const a = payment.assignment!;
  return {
    correlationId: payment.correlationId,
    amount: centsToAmount(payment.amountCents),
    requestedAt: a.requestedAt,
  };
}

/** Answers arrive one by one; they go back into the mailbox as one message per turn. */
export function post(state: ProcessorState, ctx: ProcessorContext, result: Result): void {
  state.results.push(result);
  if (state.resultsScheduled) return;
  state.resultsScheduled = true;
  setImmediate(() => {
    state.resultsScheduled = false;
    const results = state.results;
    state.results = [];
    tell(ctx.self, { type: 'results', results });
  });
}

/**
 * A first attempt is stamped now: its requestedAt is the moment it is written to the processor, so the
 * processor stores it its delay (not our queueing, claim and look-up too) after its requestedAt. A pinned
 * payment goes again exactly as it first went. (The assignment in Redis keeps the time it was assigned: a
 * recovered payment sent with it and answered 422 is looked up, and recorded as the processor holds it.)
 */
export function pay(state: ProcessorState, ctx: ProcessorContext, payment: PendingPayment, pinned: boolean): void {
  state.status.onSend();
  if (!pinned) {
    const t = ctx.now();
    payment.assignment = { processor: ctx.options.processor, requestedAt: new Date(t).toISOString() };
    state.inFlight.set(payment.correlationId, t);
  }
  ctx.options.gateway.pay(bodyOf(payment)).then(
    (attempt) => post(state, ctx, { kind: 'paid', payment, attempt, pinned, at: ctx.now() }),
    () => post(state, ctx, { kind: 'paid', payment, attempt: UNKNOWN_ATTEMPT, pinned, at: ctx.now() }),
  );
}

export function lookUp(state: ProcessorState, ctx: ProcessorContext, payment: PendingPayment): void {
  ctx.options.gateway.lookup(payment.correlationId).then(
    (lookup) => post(state, ctx, { kind: 'looked-up', payment, lookup, at: ctx.now() }),
    () => post(state, ctx, { kind: 'looked-up', payment, lookup: { found: 'unknown' }, at: ctx.now() }),
  );
}

export function pin(state: ProcessorState, ctx: ProcessorContext, payment: PendingPayment, ambiguousSince: number) {
  state.pinned.set(payment.correlationId, {
    payment,
    pinnedAt: ambiguousSince,
    ambiguousSince,
    nextTryAt: ctx.now() + ctx.options.pinnedRetryMs,
    busy: false,
  });
}

/** Writes the assignments of `fresh` to Redis, then pays those still owned here. */
export function assignThenPay(state: ProcessorState, ctx: ProcessorContext, fresh: PendingPayment[]): void {
  const { processor, ledger, pinnedRetryMs } = ctx.options;
  ledger.assign(fresh).then(
    (owned) => {
      ctx.assignWarning.recovered({ processor });
      const ownedIds = new Set(owned.map((p) => p.correlationId));
      const lost = fresh.filter((p) => !ownedIds.has(p.correlationId));
      if (lost.length > 0) post(state, ctx, { kind: 'not-assigned', payments: lost, owned: false });
      for (const p of owned) pay(state, ctx, p, false);
    },
    (err) => {
      // Redis is unreachable: nothing is sent unless its assignment is durable. Hand them
      // back after a pause, so a Redis outage does not turn into a busy loop.
      ctx.assignWarning.failed({ processor, count: fresh.length, err });
      setTimeout(() => post(state, ctx, { kind: 'not-assigned', payments: fresh, owned: true }), pinnedRetryMs / 5);
    },
  );
}

/**
 * Pinned payments due again are looked up (GET /payments/{id}, which no processor delays), but only those this
 * instance still owns. The fence: after a missed heartbeat another instance may have taken them over, and from
 * then on only it sends them. Unknown ownership (Redis unreachable) waits. What the look-up finds decides the
 * rest (processor-results.ts): recorded, sent again to the same processor, or given back once no attempt can
 * still be in the processor's hands.
 */
export function retryPinned(state: ProcessorState, ctx: ProcessorContext, due: Pinned[]): void {
  const { ledger, pinnedRetryMs } = ctx.options;
  ledger.stillOwned(due.map((p) => p.payment.correlationId)).then(
    (owned) => {
      const taken = due.filter((p) => !owned.has(p.payment.correlationId)).map((p) => p.payment);
      if (taken.length > 0) post(state, ctx, { kind: 'not-assigned', payments: taken, owned: false });
      for (const pinned of due.filter((p) => owned.has(p.payment.correlationId))) lookUp(state, ctx, pinned.payment);
    },
    () => {
      for (const pinned of due) {
        pinned.busy = false;
        pinned.nextTryAt = ctx.now() + pinnedRetryMs;
      }
    },
  );
}
