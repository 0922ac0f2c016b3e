import t from 'tap';
import { MemoryPaymentStore } from '../../tools/simulator/payment-store';

t.test('memory store: unique correlationId, exact cents, inclusive bounds, purge', async (t) => {
  const store = new MemoryPaymentStore();
  t.teardown(() => store.close());
  t.equal(await store.insert({ correlationId: 'a', amountCents: 1990, requestedAtMs: 1000 }), 'inserted');
  t.equal(
    await store.insert({ correlationId: 'a', amountCents: 1, requestedAtMs: 1 }),
    'duplicate',
    'the first record stays',
  );
  await store.insert({ correlationId: 'b', amountCents: 2005, requestedAtMs: 2000 });
  await store.insert({ correlationId: 'c', amountCents: 10, requestedAtMs: 3000 });
  t.same(await store.find('a'), { correlationId: 'a', amountCents: 1990, requestedAtMs: 1000 });
  t.equal(await store.find('zz'), null);
  t.same(await store.summary(1000, 2000), { count: 2, cents: 3995 }, 'both ends included');
  t.same(await store.summary(1001, 2999), { count: 1, cents: 2005 });
  t.same(await store.summary(null, 1500), { count: 3, cents: 4005 }, 'a missing bound counts everything');
  t.same(await store.summary(1500, null), { count: 3, cents: 4005 });
  await store.purge();
  t.same(await store.summary(null, null), { count: 0, cents: 0 });
  t.equal(await store.find('a'), null);
});
