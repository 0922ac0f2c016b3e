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
    { correlationId: id(1), amountCents: 10, requestedAt: at(0), processor: 'default' },
    { correlationId: id(2), amountCents: 20, requestedAt: at(100), processor: 'default' },
    { correlationId: id(3), amountCents: 2005, requestedAt: at(200), processor: 'fallback' },
    { correlationId: id(4), amountCents: 30, requestedAt: at(300), processor: 'default' },
  ]);
  await table.insert([{ correlationId: id(2), amountCents: 20, requestedAt: at(100), processor: 'default' }]);
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

t.test('allIds: every recorded id once, in chunks', async (t) => {
  await table.purge();
  const ids = [0, 1, 2, 3, 4, 5, 6].map(id);
  await table.insert(
    ids.map((correlationId) => ({ correlationId, amountCents: 1, requestedAt: at(0), processor: 'default' as const })),
  );
  const chunks: string[][] = [];
  for await (const chunk of table.allIds(3)) chunks.push(chunk);
  t.same(
    chunks.map((c) => c.length),
    [3, 3, 1],
  );
  t.same(chunks.flat(), ids, 'each once, in order');
  const exact: string[][] = [];
  for await (const chunk of table.allIds(7)) exact.push(chunk);
  t.same(exact, [ids], 'a last chunk that is full ends it too');
  await table.purge();
  const none: string[][] = [];
  for await (const chunk of table.allIds(3)) none.push(chunk);
  t.same(none, [], 'an empty table: nothing');
});
