import t from 'tap';
import { startActorSystem, stopActorSystem, tell } from '../../../src/actors/kit/actor';
import { spawnBatchWriter } from '../../../src/actors/writer/batch-writer';
import type { WriterSnapshot } from '../../../src/actors/writer/protocol';
import { createLogger } from '../../../src/shared/log';
import type { RecordedPayment } from '../../../src/domain/payment';
import { setTimeout as sleep } from 'node:timers/promises';

const rec = (n: number): RecordedPayment => ({
  correlationId: `id-${n}`,
  amountCents: n,
  requestedAt: '2025-07-10T12:00:00.000Z',
  processor: 'default',
  answeredAt: 0,
});

function setup(
  t: { teardown(fn: () => unknown): void },
  options: {
    batchSize: number;
    flushMs: number;
    failFirst?: number;
    insertMs?: number;
    releaseFails?: boolean;
  },
) {
  const system = startActorSystem(`writer-test-${Math.random()}`);
  t.teardown(() => stopActorSystem(system));
  const inserts: string[][] = [];
  const released: string[][] = [];
  let failures = options.failFirst ?? 0;
  const flushes: number[] = [];
  const seconds: number[] = [];
  const written: string[][] = [];
  // What an operator reads: the writer's warnings, as JSON lines.
  const logged: { event: string; writer?: string; rows?: number }[] = [];
  const log = createLogger('test', 'warn', (line) => logged.push(JSON.parse(line) as (typeof logged)[number]));
  const writer = spawnBatchWriter(system, {
    name: 'writer-0',
    sink: {
      insert: async (ps) => {
        if (options.insertMs) await sleep(options.insertMs);
        if (failures > 0) {
          failures--;
          throw new Error('postgres is down');
        }
        inserts.push(ps.map((p) => p.correlationId));
      },
    },
    pending: {
      complete: async (ids) => {
        if (options.releaseFails) throw new Error('redis is down');
        released.push(ids);
      },
    },
    batchSize: options.batchSize,
    flushMs: options.flushMs,
    retryMs: 30,
    log,
    onFlush: (rows, s) => {
      flushes.push(rows);
      seconds.push(s);
    },
    onWritten: (ids) => written.push(ids),
  });
  const inspect = () => new Promise<WriterSnapshot>((r) => tell(writer, { type: 'inspect', replyTo: r }));
  return { writer, inserts, released, flushes, seconds, logged, inspect, written };
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

t.test(
  'rows given while an INSERT runs wait for the next flush window: a steady trickle, one INSERT a window',
  async (t) => {
    const w = setup(t, { batchSize: 1000, flushMs: 40, insertMs: 5 });
    const started = Date.now();
    let given = 0;
    while (Date.now() - started < 200) {
      tell(w.writer, { type: 'write', payments: [rec(given++)] });
      await sleep(2);
    }
    await sleep(150);
    const rows = w.inserts.flat().length;
    t.equal(rows, given, `every row written once (${rows})`);
    // About 200 ms / (40 ms + 5 ms) windows; one INSERT after each 5 ms one would be about 40.
    t.ok(w.inserts.length <= 8, `${w.inserts.length} INSERTs for ${rows} rows`);
  },
);

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
  t.same(w.written, [], 'nor reported written (the supervisor holds them still)');
  await sleep(200);
  t.same(w.inserts, [['id-1', 'id-2']], 'written once Postgres answers');
  t.same(w.released, [['id-1', 'id-2']]);
  t.same(w.written, [['id-1', 'id-2']], 'and reported written, once');
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

t.test('exactly batchSize rows are written at once, without waiting for the flush window', async (t) => {
  const w = setup(t, { batchSize: 3, flushMs: 10_000 });
  tell(w.writer, { type: 'write', payments: [0, 1, 2].map(rec) });
  await sleep(60);
  t.same(w.inserts, [['id-0', 'id-1', 'id-2']]);
});

t.test('a full batch that Postgres refused is retried after retryMs, not after the flush window', async (t) => {
  const w = setup(t, { batchSize: 2, flushMs: 10_000, failFirst: 1 });
  tell(w.writer, { type: 'write', payments: [rec(1), rec(2)] });
  await sleep(150);
  t.same(w.inserts, [['id-1', 'id-2']], 'written on the retry');
  t.match(w.logged, [{ level: 'warn', event: 'writer-flush-failed', writer: 'writer-0', rows: 2 }], 'and said so');
});

t.test('each INSERT is reported with its rows and its time in seconds', async (t) => {
  const w = setup(t, { batchSize: 100, flushMs: 10, insertMs: 20 });
  tell(w.writer, { type: 'write', payments: [rec(1), rec(2), rec(3)] });
  await sleep(150);
  t.same(w.flushes, [3]);
  t.ok(w.seconds[0] >= 0.015 && w.seconds[0] < 5, `about 0.02 s (${w.seconds[0]})`);
});

t.test('a failed release from Redis is logged, and the writer goes on', async (t) => {
  const w = setup(t, { batchSize: 100, flushMs: 10, releaseFails: true });
  tell(w.writer, { type: 'write', payments: [rec(1)] });
  await sleep(60);
  tell(w.writer, { type: 'write', payments: [rec(2)] });
  await sleep(60);
  t.same(w.inserts, [['id-1'], ['id-2']], 'both written');
  // The second failure falls within LOG_REPEAT_MS of the first: counted, not logged on its own.
  t.match(w.logged, [{ event: 'pending-release-failed', writer: 'writer-0', occurrences: 1 }]);
  t.equal(w.logged.length, 1);
});
