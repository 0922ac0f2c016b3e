// The processor actor's outbound calls: assignments to Redis, payments and look-ups to the processor. Each
// outcome is piped back into the mailbox as a Result (results.ts settles it there); nothing here runs later.
import type { Pinned, ProcessorContext, ProcessorState } from './state';
import type { ProcessorPaymentBody } from '../../domain/payment';
import { centsToAmount } from '../../domain/payment';
import type { PaymentAttempt } from '../../domain/processor-answers';
import type { PendingPayment } from '../../domain/pending-payment';

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
  ctx.results.pipe(
    ctx.options.gateway.pay(bodyOf(payment)),
    (attempt) => ({ kind: 'paid', payment, attempt, pinned, at: ctx.now() }),
    () => ({ kind: 'paid', payment, attempt: UNKNOWN_ATTEMPT, pinned, at: ctx.now() }),
  );
}

export function lookUp(ctx: ProcessorContext, payment: PendingPayment): void {
  ctx.results.pipe(
    ctx.options.gateway.lookup(payment.correlationId),
    (lookup) => ({ kind: 'looked-up', payment, lookup, at: ctx.now() }),
    () => ({ kind: 'looked-up', payment, lookup: { found: 'unknown' }, at: ctx.now() }),
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

/** Writes the assignments of `fresh` to Redis; the answer ('assigned' or 'assign-failed') decides what is paid. */
export function assign(ctx: ProcessorContext, fresh: PendingPayment[]): void {
  ctx.results.pipe(
    ctx.options.ledger.assign(fresh),
    (owned) => ({ kind: 'assigned', fresh, owned }),
    (err) => ({ kind: 'assign-failed', fresh, err }),
  );
}

/**
 * Pinned payments due again are looked up (GET /payments/{id}, which no processor delays), but only those this
 * instance still owns. The fence: after a missed heartbeat another instance may have taken them over, and from
 * then on only it sends them. The answer comes back as 'ownership' (results.ts).
 */
export function checkOwnership(ctx: ProcessorContext, due: Pinned[]): void {
  const ids = due.map((p) => p.payment.correlationId);
  ctx.results.pipe(
    ctx.options.ledger.stillOwned(ids),
    (owned) => ({ kind: 'ownership', due: ids, owned }),
    () => ({ kind: 'ownership', due: ids, owned: null }),
  );
}
