// Before an instance takes traffic, its hot paths run a few thousand times on harmless
// work, so that V8 compiles them now and not during the first seconds of a test: under
// a 0.45 CPU quota, that compilation burst used up the quota and stalled answers (the
// official replay showed most throttled periods in its first 15 s). Nothing here creates
// a payment or changes what a processor or a summary will see.
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { ProcessorName } from '../domain/payment';
import type { ProcessorClient } from '../gateway/processor-client';
import { PendingPayments } from '../store/pending-payments';
import type { PaymentsTable } from '../store/payments-table';

export interface CoreWarmUp {
  redis: Redis;
  prefix: string;
  instanceId: string;
  clients: Record<ProcessorName, ProcessorClient>;
  table: PaymentsTable;
  rounds: number;
}

async function inParallel(n: number, width: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

/**
 * Redis scripts on keys of its own (removed after), processor look-ups of unknown ids (404), summaries and
 * look-ups of unknown ids in the payments table (read-only).
 */
export async function warmUpCore(w: CoreWarmUp): Promise<void> {
  const prefix = `${w.prefix}warm-up:${w.instanceId}:`;
  const scratch = new PendingPayments(w.redis, prefix, w.instanceId, 60_000);
  try {
    await inParallel(w.rounds, 16, async () => {
      const payments = [{ correlationId: randomUUID(), amountCents: 1, acceptedAt: Date.now() }];
      const fresh = await scratch.claimFresh(payments);
      await scratch.assign(
        fresh.map((p) => ({
          ...p,
          assignment: { processor: 'default' as const, requestedAt: new Date().toISOString() },
        })),
      );
      await scratch.complete(fresh.map((p) => p.correlationId));
    });
  } finally {
    await scratch.purge().catch(() => undefined);
  }
  // GET /payments/{id} of an id nobody used: a 404 that exercises the whole client.
  await inParallel(Math.ceil(w.rounds / 4), 8, (i) =>
    w.clients[i % 2 === 0 ? 'default' : 'fallback'].lookup(randomUUID()),
  );
  await inParallel(Math.ceil(w.rounds / 20), 2, () => w.table.summary({ from: new Date(0), to: new Date(1) }));
  // The look-up every claimed batch goes through, for ids nobody used.
  await inParallel(Math.ceil(w.rounds / 4), 4, () => w.table.recordedAmong([randomUUID(), randomUUID()]));
}
