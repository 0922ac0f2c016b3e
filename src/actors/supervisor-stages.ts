// The supervisor's two intake stages, each run one request at a time (in-order-stage.ts): the
// claim in Redis (durable and deduplicated), then the look-up in the payments table for ids
// older than Redis' window. Each stage's answer comes back into the mailbox as a message.
import { tell, type ActorRef } from './actor-system';
import { InOrderStage } from './in-order-stage';
import type { SupervisorMsg, SupervisorOptions } from './payment-supervisor';
import type { AcceptedBatch, LookedUp, LookupAnswer, SupervisorState } from './supervisor-state';
import { RepeatedWarning } from '../repeated-warning';
import type { PendingPayment } from '../store/pending-payments';

interface StageWiring {
  options: SupervisorOptions;
  now: () => number;
  /** Where the answers go; read when they arrive (the actor exists by then). */
  self: () => ActorRef<SupervisorMsg>;
  state: SupervisorState;
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

/** While Redis refuses, the batches wait here (acknowledged, not durable) and go first when it takes writes again. */
export function claimStage({ options, now, self, state }: StageWiring): InOrderStage<AcceptedBatch, PendingPayment[]> {
  const warning = new RepeatedWarning(options.log, 'claim-failed', options.logRepeatMs ?? 10_000, now);
  const claims: InOrderStage<AcceptedBatch, PendingPayment[]> = new InOrderStage({
    run: (batches) =>
      options.ledger.claimFresh(batches.length === 1 ? batches[0].payments : batches.flatMap((b) => b.payments)),
    done: (batches, fresh) => {
      warning.recovered();
      options.onClaimLanded?.();
      answer(options, batches, true);
      state.arriving += count(batches);
      tell(self(), { type: 'claimed', payments: fresh, offered: count(batches) });
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
  });
  return claims;
}

/** Ids older than Redis' window are known to the payments table only: one look-up per request. */
export function lookupStage({ options, now, self, state }: StageWiring): InOrderStage<LookedUp, LookupAnswer> {
  const warning = new RepeatedWarning(options.log, 'lookup-failed', options.logRepeatMs ?? 10_000, now);
  return new InOrderStage({
    run: async (items) => {
      const done = await options.history.recordedAmong(items.map((i) => i.payment));
      return {
        unrecorded: items.filter((i) => !done.has(i.payment.correlationId)),
        recorded: items.filter((i) => done.has(i.payment.correlationId)),
      };
    },
    done: (items, result) => {
      warning.recovered();
      state.arriving += items.length;
      tell(self(), { type: 'looked-up', ...result });
    },
    failed: (items, err) => warning.failed({ count: items.length, err }),
    retryMs: options.claimRetryMs,
    maxWeight: options.stageBatchLimit ?? 1000,
    weight: () => 1,
    gatherMs: options.lookupGatherMs ?? 0,
  });
}
