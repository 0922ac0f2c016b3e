// The supervisor's two intake stages, each run one request at a time (in-order-stage.ts): the
// claim in Redis (durable and deduplicated), then the look-up in the payments table for ids
// older than Redis' window. Each request's outcome comes back into the mailbox as a message
// ('claim-answered', 'lookup-answered'), whose handler settles it.
import { InOrderStage, type StageDriver } from './in-order-stage';
import type { StageName, SupervisorInternalMsg, SupervisorMsg, SupervisorOptions } from './protocol';
import type { AcceptedBatch, LookedUp, LookupAnswer } from './protocol';
import type { ActorContext } from '../kit/actor';
import { RepeatedWarning } from '../../shared/repeated-warning';
import type { PendingPayment } from '../../domain/pending-payment';

type SupervisorActor = ActorContext<SupervisorMsg | SupervisorInternalMsg>;

interface StageWiring {
  options: SupervisorOptions;
  now: () => number;
  actor: SupervisorActor;
}

const count = (batches: AcceptedBatch[]) => batches.reduce((n, b) => n + b.payments.length, 0);

/** Tells the front end, once per batch, whether its payments became durable (ACK_WHEN_DURABLE). */
export function answer(options: SupervisorOptions, batches: AcceptedBatch[], durable: boolean): void {
  for (const b of batches) {
    if (b.batch === undefined || b.answered) continue;
    b.answered = true;
    options.onBatchSettled?.(b.batch, durable);
  }
}

function driverOf<R>(
  actor: SupervisorActor,
  stage: StageName,
  answered: (outcome: { ok: true; result: R } | { ok: false; err: unknown }) => SupervisorInternalMsg,
): StageDriver<R> {
  return {
    pipe: (work) =>
      actor.pipeToSelf(
        work,
        (result) => answered({ ok: true, result }),
        (err) => answered({ ok: false, err }),
      ),
    wakeIn: (ms) => actor.timers.startSingle(stage, { type: 'stage-wake', stage }, ms),
    cancelWake: () => actor.timers.cancel(stage),
  };
}

/**
 * While Redis refuses, the batches wait here (acknowledged, not durable) and go first when it takes writes
 * again. `claimed` gets the fresh payments among those offered.
 */
export function claimStage(
  { options, now, actor }: StageWiring,
  claimed: (fresh: PendingPayment[], offered: number) => void,
): InOrderStage<AcceptedBatch, PendingPayment[]> {
  const warning = new RepeatedWarning(options.log, 'claim-failed', options.logRepeatMs ?? 10_000, now);
  const claims: InOrderStage<AcceptedBatch, PendingPayment[]> = new InOrderStage(
    {
      run: (batches) =>
        options.ledger.claimFresh(batches.length === 1 ? batches[0].payments : batches.flatMap((b) => b.payments)),
      done: (batches, fresh) => {
        warning.recovered();
        options.onClaimLanded?.();
        answer(options, batches, true);
        claimed(fresh, count(batches));
        options.onNotDurable?.(claims.weight);
      },
      failed: (batches, err) => {
        warning.failed({ count: count(batches), waiting: claims.weight, err });
        options.onClaimFailed?.(err, count(batches));
        answer(options, batches, false);
      },
      retryMs: options.claimRetryMs,
      maxWeight: options.stageBatchLimit ?? 1000,
      weight: (b) => b.payments.length,
    },
    driverOf(actor, 'claims', (outcome) => ({ type: 'claim-answered', outcome })),
  );
  return claims;
}

/** Ids older than Redis' window are known to the payments table only: one look-up per request. */
export function lookupStage(
  { options, now, actor }: StageWiring,
  lookedUp: (answer: LookupAnswer) => void,
): InOrderStage<LookedUp, LookupAnswer> {
  const warning = new RepeatedWarning(options.log, 'lookup-failed', options.logRepeatMs ?? 10_000, now);
  return new InOrderStage(
    {
      run: async (items) => {
        const done = await options.history.recordedAmong(items.map((i) => i.payment));
        return {
          unrecorded: items.filter((i) => !done.has(i.payment.correlationId)),
          recorded: items.filter((i) => done.has(i.payment.correlationId)),
        };
      },
      done: (_items, result) => {
        warning.recovered();
        lookedUp(result);
      },
      failed: (items, err) => warning.failed({ count: items.length, err }),
      retryMs: options.claimRetryMs,
      maxWeight: options.stageBatchLimit ?? 1000,
      weight: () => 1,
      gatherMs: options.lookupGatherMs ?? 0,
    },
    driverOf(actor, 'lookups', (outcome) => ({ type: 'lookup-answered', outcome })),
  );
}
