import t from 'tap';
import { startActorSystem, stopActorSystem, tell } from '../../src/actors/actor-system';
import { spawnBatchWriter, type WriterSnapshot } from '../../src/actors/batch-writer';
import { silentLogger } from '../../src/log';
import type { RecordedPayment } from '../../src/payment';
import { setTimeout as sleep } from 'node:timers/promises';

const rec = (n: number): RecordedPayment => ({
  correlationId: `id-${n}`,
  amountCents: n,
  requestedAt: '2025-07-10T12:00:00.000Z',
  processor: 'default',
});

function setup(
  t: { teardown(fn: () => unknown): void },
  options: { batchSize: number; flushMs: number; failFirst?: number },
) {
  const system = startActorSystem(`writer-test-${Math.random()}`);
  t.teardown(() => stopActorSystem(system));
  const inserts: string[][] = [];
  const released: string[][] = [];
  let failures = options.failFirst ?? 0;
  const flushes: number[] = [];
  const writer = spawnBatchWriter(system, {
    name: 'writer-0',
    sink: {
      insert: async (ps) => {
        if (failures > 0) {
          failures--;
          throw new Error('postgres is down');
        }
        inserts.push(ps.map((p) => p.correlationId));
      },
    },
    pending: { complete: async (ids) => void released.push(ids) },
    batchSize: options.batchSize,
    flushMs: options.flushMs,
    retryMs: 30,
    log: silentLogger,
    onFlush: (rows) => flushes.push(rows),
  });
  const inspect = () => new Promise<WriterSnapshot>((r) => tell(writer, { type: 'inspect', replyTo: r }));
  return { writer, inserts, released, flushes, inspect };
}

t.test('batches by time: many writes, one INSERT', async (t) => {
  const w = setup(t, { batchSize: 100, flushMs: 30 });
  for (let i = 0; i < 5; i++) tell(w.writer, { type: 'write', payments: [rec(i)] });
  await sleep(100);
  t.same(w.inserts, [['id-0', 'id-1', 'id-2', 'id-3', 'id-4']]);
  t.same(w.released, w.inserts, 'released from pending after the insert');
  t.same(w.flushes, [5]);
  t.match(await w.inspect(), {
    name: 'writer-0',
    buffered: 0,
    flushes: 1,
    rowsWritten: 5,
    lastBatchSize: 5,
    failedFlushes: 0,
  });
});

t.test('batches by size: at most batchSize rows per INSERT', async (t) => {
  const w = setup(t, { batchSize: 3, flushMs: 1000 });
  tell(w.writer, { type: 'write', payments: [0, 1, 2, 3, 4, 5, 6].map(rec) });
  await sleep(50);
  t.same(
    w.inserts,
    [['id-0', 'id-1', 'id-2'], ['id-3', 'id-4', 'id-5'], ['id-6']],
    'full batches at once, the rest too',
  );
});

t.test('Postgres refusing: rows stay, are retried, and are not released before they are written', async (t) => {
  const w = setup(t, { batchSize: 100, flushMs: 10, failFirst: 3 });
  tell(w.writer, { type: 'write', payments: [rec(1), rec(2)] });
  await sleep(40);
  const during = await w.inspect();
  t.ok(during.buffered === 2 && during.failedFlushes >= 1, `kept while failing (${JSON.stringify(during)})`);
  t.same(w.released, [], 'nothing released from pending yet');
  await sleep(200);
  t.same(w.inserts, [['id-1', 'id-2']], 'written once Postgres answers');
  t.same(w.released, [['id-1', 'id-2']]);
});

t.test('flush with a reply: answers after the rows are written, false while Postgres refuses', async (t) => {
  const w = setup(t, { batchSize: 100, flushMs: 10_000, failFirst: 1 });
  tell(w.writer, { type: 'write', payments: [rec(7)] });
  const first = await new Promise<boolean>((r) => tell(w.writer, { type: 'flush', replyTo: r }));
  t.equal(first, false, 'refused');
  const second = await new Promise<boolean>((r) => tell(w.writer, { type: 'flush', replyTo: r }));
  t.equal(second, true);
  t.same(w.inserts, [['id-7']]);
});
