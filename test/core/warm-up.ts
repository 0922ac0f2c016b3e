import t from 'tap';
import Redis from 'ioredis';
import { warmUpCore } from '../../src/core/warm-up';
import { ProcessorClient } from '../../src/gateway/processor-client';
import { PaymentsTable } from '../../src/store/payments-table';
import { DATABASE_URL, REDIS_URL, namespace, startProcessors } from '../fixtures/pipeline';

t.test('the warm-up leaves nothing behind: no Redis key, no payment at a processor or in our table', async (t) => {
  const ns = namespace(t);
  const processors = await startProcessors(t);
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  const table = PaymentsTable.connect(DATABASE_URL, ns.databaseSchema, 2);
  t.teardown(() => table.close());
  await table.migrate();
  const clients = {
    default: new ProcessorClient(processors.url.default, { connections: 8, timeoutMs: 1000 }),
    fallback: new ProcessorClient(processors.url.fallback, { connections: 8, timeoutMs: 1000 }),
  };
  t.teardown(() => Promise.all([clients.default.close(), clients.fallback.close()]));

  await warmUpCore({ redis, prefix: ns.redisPrefix, instanceId: 'w1', clients, table, rounds: 200 });

  t.same(await redis.keys(`${ns.redisPrefix}*`), [], 'no Redis key left');
  t.equal((await processors.summary('default')).totalRequests, 0, 'default recorded nothing');
  t.equal((await processors.summary('fallback')).totalRequests, 0, 'fallback recorded nothing');
  t.same(
    await table.summary({ from: null, to: null }),
    { default: { totalRequests: 0, totalAmount: 0 }, fallback: { totalRequests: 0, totalAmount: 0 } },
    'our table is empty',
  );
  t.ok(clients.default.openConnections > 0, 'and connections to the processors are open, ready for the first payments');
});
