import t from 'tap';
import { randomUUID } from 'node:crypto';
import { PostgresPaymentStore } from '../../tools/simulator/postgres-store';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

t.test('postgres store: unique correlationId, exact cents, inclusive bounds, purge, own schema', async (t) => {
  const schema = `sim_store_test_${process.pid}`;
  const store = await PostgresPaymentStore.open(DATABASE_URL, schema);
  t.teardown(async () => {
    await store.drop();
    await store.close();
  });
  const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
  t.equal(await store.insert({ correlationId: a, amountCents: 1990, requestedAtMs: 1000 }), 'inserted');
  t.equal(await store.insert({ correlationId: a, amountCents: 1, requestedAtMs: 1 }), 'duplicate');
  await store.insert({ correlationId: b, amountCents: 2005, requestedAtMs: 2000 });
  await store.insert({ correlationId: c, amountCents: 10, requestedAtMs: 3000 });
  t.same(await store.find(a), { correlationId: a, amountCents: 1990, requestedAtMs: 1000 });
  t.equal(await store.find(randomUUID()), null);
  t.same(await store.summary(1000, 2000), { count: 2, cents: 3995 }, 'both ends included');
  t.same(await store.summary(null, 1500), { count: 3, cents: 4005 }, 'a missing bound counts everything');
  await store.purge();
  t.same(await store.summary(null, null), { count: 0, cents: 0 });
  // Opening again on the same schema keeps it (CREATE ... IF NOT EXISTS).
  const again = await PostgresPaymentStore.open(DATABASE_URL, schema);
  await again.close();
});

t.test('postgres store refuses a schema name it would have to quote', async (t) => {
  await t.rejects(PostgresPaymentStore.open(DATABASE_URL, 'bad"; drop'), /invalid schema name/);
});
