import t from 'tap';
import { PaymentsTable } from '../../src/store/payments-table';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `payments_table_test_${process.pid}`;
const table = PaymentsTable.connect(DATABASE_URL, schema, 2);
t.teardown(async () => {
  await (table as unknown as { pool: { query(q: string): Promise<unknown> } }).pool.query(
    `DROP SCHEMA IF EXISTS "${schema}" CASCADE`,
  );
  await table.close();
});

const at = (ms: number) => new Date(Date.UTC(2025, 6, 10, 12, 0, 0, ms)).toISOString();
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

t.test('migrate is idempotent, also when both instances run it at once', async (t) => {
  const other = PaymentsTable.connect(DATABASE_URL, schema, 2);
  t.teardown(() => other.close());
  await Promise.all([table.migrate(), other.migrate(), table.migrate()]);
  t.same(await table.summary({ from: null, to: null }), {
    default: { totalRequests: 0, totalAmount: 0 },
    fallback: { totalRequests: 0, totalAmount: 0 },
  });
});

t.test('batch inserts, no double count, exact cents, inclusive bounds', async (t) => {
  await table.insert([
    { correlationId: id(1), amountCents: 10, requestedAt: at(0), processor: 'default', answeredAt: 0 },
    { correlationId: id(2), amountCents: 20, requestedAt: at(100), processor: 'default', answeredAt: 0 },
    { correlationId: id(3), amountCents: 2005, requestedAt: at(200), processor: 'fallback', answeredAt: 0 },
    { correlationId: id(4), amountCents: 30, requestedAt: at(300), processor: 'default', answeredAt: 0 },
  ]);
  await table.insert([
    { correlationId: id(2), amountCents: 20, requestedAt: at(100), processor: 'default', answeredAt: 0 },
  ]);
  await table.insert([]);
  t.same(
    await table.summary({ from: null, to: null }),
    { default: { totalRequests: 3, totalAmount: 0.6 }, fallback: { totalRequests: 1, totalAmount: 20.05 } },
    '0.1 + 0.2 + 0.3 = 0.6 exactly; id 2 once',
  );
  t.same(
    (await table.summary({ from: new Date(at(100)), to: new Date(at(200)) })).default,
    { totalRequests: 1, totalAmount: 0.2 },
    'a row exactly at from is counted',
  );
  t.same(
    (await table.summary({ from: new Date(at(100)), to: new Date(at(200)) })).fallback,
    { totalRequests: 1, totalAmount: 20.05 },
    'a row exactly at to is counted',
  );
  t.same((await table.summary({ from: new Date(at(101)), to: new Date(at(199)) })).default.totalRequests, 0);
  t.equal(
    (await table.summary({ from: new Date(at(250)), to: null })).default.totalRequests,
    3,
    'a missing bound counts everything, as the processors do',
  );
  await table.purge();
  t.equal((await table.summary({ from: null, to: null })).fallback.totalRequests, 0, 'purged');
});

t.test('schema names are checked', async (t) => {
  t.throws(() => new PaymentsTable({} as never, 'x; DROP TABLE y'));
});

t.test('recordedSince: the ids requested at or after a time, in chunks, each once, ties included', async (t) => {
  await table.purge();
  // Several payments share one requestedAt (a batch sent together): chunks must not skip or repeat them.
  const times = [0, 10, 10, 10, 10, 20, 30, 30];
  await table.insert(
    times.map((ms, n) => ({
      correlationId: id(n),
      amountCents: 1,
      requestedAt: at(ms),
      processor: 'default' as const,
      answeredAt: 0,
    })),
  );
  const chunks: string[][] = [];
  for await (const chunk of table.recordedSince(new Date(at(10)), 3)) chunks.push(chunk);
  t.same(
    chunks.map((c) => c.length),
    [3, 3, 1],
  );
  t.same(chunks.flat().sort(), [1, 2, 3, 4, 5, 6, 7].map(id), 'every id from the bound on, the bound included, once');
  const exact: string[][] = [];
  for await (const chunk of table.recordedSince(new Date(at(10)), 7)) exact.push(chunk);
  t.same(exact.length, 1, 'a last chunk that is full ends it too');
  const none: string[][] = [];
  for await (const chunk of table.recordedSince(new Date(at(31)), 3)) none.push(chunk);
  t.same(none, [], 'nothing after the last: nothing');
  await table.purge();
});

t.test('recordedAmong: which of a batch of ids the table holds, in one look-up', async (t) => {
  await table.purge();
  await table.insert([
    { correlationId: id(1), amountCents: 1, requestedAt: at(0), processor: 'fallback', answeredAt: 0 },
  ]);
  t.same([...(await table.recordedAmong([id(1), id(2), id(1)]))], [id(1)]);
  t.same((await table.recordedAmong([])).size, 0, 'an empty batch asks nothing');
  await table.purge();
});

t.test('a summary as of a moment counts only the payments answered by then', async (t) => {
  await table.insert([
    { correlationId: id(11), amountCents: 100, requestedAt: at(0), processor: 'default', answeredAt: 1_000 },
    { correlationId: id(12), amountCents: 200, requestedAt: at(1), processor: 'default', answeredAt: 2_000 },
    { correlationId: id(13), amountCents: 300, requestedAt: at(2), processor: 'fallback', answeredAt: 2_001 },
  ]);
  const window = { from: new Date(at(0)), to: new Date(at(10)) };
  t.same(
    await table.summary({ ...window, asOf: new Date(2_000) }),
    { default: { totalRequests: 2, totalAmount: 3 }, fallback: { totalRequests: 0, totalAmount: 0 } },
    'answered exactly at the moment: counted; a millisecond later: not',
  );
  t.equal((await table.summary({ from: null, to: null, asOf: new Date(999) })).default.totalRequests, 0);
  t.equal((await table.summary({ ...window, asOf: null })).fallback.totalRequests, 1, 'no moment: everything');
  await table.purge();
});
