import t from 'tap';
import Redis from 'ioredis';
import { createLogger, silentLogger, type Logger } from '../../src/shared/log';
import { SummaryBarrier } from '../../src/cluster/summary-barrier';
import { setTimeout as sleep } from 'node:timers/promises';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Redis whose answer to PUBLISH on `channel` (the flush requests) comes `delayMs` late; the publish itself is not. */
function withSlowRequests(redis: Redis, channel: string, delayMs: number): Redis {
  if (delayMs === 0) return redis;
  const publish = redis.publish.bind(redis);
  return new Proxy(redis, {
    get: (target, key, receiver) =>
      key === 'publish'
        ? (ch: string, message: string) =>
            ch === channel ? publish(ch, message).then((n) => sleep(delayMs).then(() => n)) : publish(ch, message)
        : (Reflect.get(target, key, receiver) as unknown),
  });
}

async function barrier(
  t: { teardown(fn: () => unknown): void },
  prefix: string,
  id: string,
  flushLocal: () => Promise<boolean>,
  timeoutMs = 300,
  extra: { log?: Logger; publishDelayMs?: number } = {},
): Promise<SummaryBarrier> {
  const redis = withSlowRequests(new Redis(REDIS_URL), `${prefix}flush`, extra.publishDelayMs ?? 0);
  const subscriber = new Redis(REDIS_URL);
  t.teardown(() => {
    redis.disconnect();
    subscriber.disconnect();
  });
  const log = extra.log ?? silentLogger;
  const b = new SummaryBarrier({ redis, subscriber, prefix, instanceId: id, timeoutMs, flushLocal, log });
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

t.test("acks that arrive before PUBLISH's own answer still complete the barrier", async (t) => {
  const prefix = `test:barrier:${process.pid}:5:`;
  const a = await barrier(t, prefix, 'a', async () => true, 10_000, { publishDelayMs: 150 });
  await barrier(t, prefix, 'b', async () => true);
  const started = Date.now();
  const answer = await Promise.race([a.flushAll(), sleep(5000).then(() => 'still waiting')]);
  t.equal(answer, true, 'every instance acknowledged, though before Redis said how many listened');
  t.ok(Date.now() - started < 5000);
});

t.test("PUBLISH's answer arriving after the time limit changes nothing", async (t) => {
  const prefix = `test:barrier:${process.pid}:6:`;
  const a = await barrier(t, prefix, 'a', () => new Promise<boolean>(() => undefined), 100, { publishDelayMs: 300 });
  t.equal(await a.flushAll(), false, 'the time limit answered');
  await sleep(400); // the late answer arrives meanwhile: no error, nothing answered twice
  t.pass('no error when the late answer came');
});

t.test('an instance whose flush fails says so in its log and does not acknowledge', async (t) => {
  const prefix = `test:barrier:${process.pid}:7:`;
  const logged: { level: string; event: string; err?: { message: string } }[] = [];
  const log = createLogger('b', 'warn', (line) => logged.push(JSON.parse(line) as (typeof logged)[number]));
  const a = await barrier(t, prefix, 'a', async () => true, 200);
  await barrier(t, prefix, 'b', () => Promise.reject(new Error('postgres down')), 200, { log });
  t.equal(await a.flushAll(), false, 'not all flushed: false after the time limit');
  t.match(logged, [{ level: 'warn', event: 'barrier-flush-failed', err: { message: 'postgres down' } }]);
});

t.test('Redis unreachable and its own flush failing: still false at once', async (t) => {
  const redis = new Redis(REDIS_URL);
  const subscriber = new Redis(REDIS_URL);
  t.teardown(() => subscriber.disconnect());
  const a = new SummaryBarrier({
    redis,
    subscriber,
    prefix: `test:barrier:${process.pid}:8:`,
    instanceId: 'a',
    timeoutMs: 60_000,
    flushLocal: () => Promise.reject(new Error('postgres down too')),
    log: silentLogger,
  });
  await a.start();
  redis.disconnect();
  const answer = await Promise.race([a.flushAll(), sleep(5000).then(() => 'still waiting')]);
  t.equal(answer, false, 'false, long before its 60 s limit');
});
