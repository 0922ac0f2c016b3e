import t from 'tap';
import Redis from 'ioredis';
import { silentLogger } from '../src/log';
import { SummaryBarrier } from '../src/summary-barrier';
import { setTimeout as sleep } from 'node:timers/promises';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function barrier(
  t: { teardown(fn: () => unknown): void },
  prefix: string,
  id: string,
  flushLocal: () => Promise<boolean>,
  timeoutMs = 300,
): Promise<SummaryBarrier> {
  const redis = new Redis(REDIS_URL);
  const subscriber = new Redis(REDIS_URL);
  t.teardown(() => {
    redis.disconnect();
    subscriber.disconnect();
  });
  const b = new SummaryBarrier({ redis, subscriber, prefix, instanceId: id, timeoutMs, flushLocal, log: silentLogger });
  await b.start();
  return b;
}

t.test('resolves true only after every instance flushed', async (t) => {
  const prefix = `test:barrier:${process.pid}:1:`;
  const flushed: string[] = [];
  const slowFlush = (id: string, ms: number) => () =>
    new Promise<boolean>((r) => setTimeout(() => (flushed.push(id), r(true)), ms));
  const a = await barrier(t, prefix, 'a', slowFlush('a', 10));
  await barrier(t, prefix, 'b', slowFlush('b', 80));
  t.equal(await a.flushAll(), true);
  t.same(flushed.sort(), ['a', 'b'], 'both flushed before it resolved');
});

t.test('resolves false after the time limit when an instance does not answer', async (t) => {
  const prefix = `test:barrier:${process.pid}:2:`;
  const a = await barrier(t, prefix, 'a', async () => true, 150);
  await barrier(t, prefix, 'stuck', () => new Promise<boolean>(() => undefined));
  const started = Date.now();
  t.equal(await a.flushAll(), false);
  t.ok(Date.now() - started >= 140, 'after the time limit');
});

t.test('Redis unreachable: it flushes its own writers and answers false at once, without waiting', async (t) => {
  const prefix = `test:barrier:${process.pid}:3:`;
  let flushed = 0;
  const redis = new Redis(REDIS_URL);
  const subscriber = new Redis(REDIS_URL);
  t.teardown(() => subscriber.disconnect());
  const a = new SummaryBarrier({
    redis,
    subscriber,
    prefix,
    instanceId: 'a',
    timeoutMs: 60_000,
    flushLocal: async () => (flushed++, true),
    log: silentLogger,
  });
  await a.start();
  redis.disconnect();
  const answer = await Promise.race([a.flushAll(), sleep(5000).then(() => 'still waiting')]);
  t.equal(answer, false, 'false, long before its 60 s limit');
  t.equal(flushed, 1, 'its own writers were flushed');
});

t.test('two summaries asked at once on one instance are each answered when all flushed', async (t) => {
  const prefix = `test:barrier:${process.pid}:4:`;
  const a = await barrier(t, prefix, 'a', async () => true, 60_000);
  await barrier(t, prefix, 'b', () => sleep(30).then(() => true), 60_000);
  const answers = await Promise.race([
    Promise.all([a.flushAll(), a.flushAll(), a.flushAll()]),
    sleep(5000).then(() => 'still waiting'),
  ]);
  t.same(answers, [true, true, true]);
});
