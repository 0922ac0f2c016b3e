// Days, not minutes, at small scale: a Redis of its own capped a little above its use, the way
// the compose file caps it. Redis remembers ids for DEDUPE_WINDOW_MS only, so tens of thousands
// of payments fit where every id ever accepted would not; a re-post after the window is caught
// by the payments table. When Redis is full, new payments get 503 instead of a 202 that would
// never be kept; the log stays small; once the cap is lifted, everything acknowledged goes on.
import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import Redis from 'ioredis';
import { Pool } from 'undici';
import { postAll } from '../fixtures/post-all';
import { startApp } from '../../src/app';
import { loadConfig } from '../../src/shared/config';
import { createLogger } from '../../src/shared/log';
import { fillUp, ownRedis, REDIS_SERVER, usedMemory } from '../fixtures/redis-servers';
import {
  DATABASE_URL,
  eventually,
  getSummary,
  namespace,
  newPayment,
  reachesWhileRising,
  recordedIds,
  sleep,
  startProcessors,
  summariesAgree,
  type Processors,
} from '../fixtures/pipeline';

/** Processor calls received for these ids, both processors together. */
const callsFor = (processors: Processors, ids: string[]) =>
  ids.reduce((n, id) => n + processors.calls('default', id) + processors.calls('fallback', id), 0);

async function startInstance(
  tt: { teardown(fn: () => unknown): void },
  redisUrl: string,
  processors: Processors,
  extra: Record<string, unknown> = {},
) {
  const lines: { level: string; event: string }[] = [];
  // The core runs in this thread here, so that its log lines are counted too.
  const log = createLogger('bounded', 'info', (l) => lines.push(JSON.parse(l) as (typeof lines)[number]));
  const config = loadConfig(
    {},
    {
      port: 0,
      coreThread: false,
      databaseUrl: DATABASE_URL,
      redisUrl,
      defaultUrl: processors.url.default,
      fallbackUrl: processors.url.fallback,
      healthIntervalMs: 200,
      heartbeatMs: 200,
      breakerCooldownMs: 200,
      summaryBarrierMs: 500,
      warmUpRounds: 0,
      processorSendRate: 0,
      ...namespace(tt),
      ...extra,
    },
  );
  const app = await startApp(config, log);
  tt.teardown(() => app.close());
  const pool = new Pool(`http://127.0.0.1:${app.port}`, { connections: 32 });
  tt.teardown(() => pool.close());
  return { app, pool, lines, url: `http://127.0.0.1:${app.port}`, schema: config.databaseSchema };
}

/** Redis' used memory, sampled every 250 ms until stop(), which returns the highest seen. */
function peakSampler(t: Test, admin: Redis): { stop(): number } {
  let peak = 0;
  const sampler = setInterval(
    () =>
      void usedMemory(admin).then(
        (m) => (peak = Math.max(peak, m)),
        () => undefined,
      ),
    250,
  );
  t.teardown(() => clearInterval(sampler));
  return {
    stop: () => {
      clearInterval(sampler);
      return peak;
    },
  };
}

type Instance = Awaited<ReturnType<typeof startInstance>>;

/**
 * Past the dedupe window, with default failing: 2,000 old ids posted again and 2,000 new ones. The new ones go to
 * fallback; the old ones reach no processor (the payments table remembers them). Returns the new ones.
 */
async function repostAfterWindow(
  t: Test,
  inst: Instance,
  processors: Processors,
  first: { correlationId: string; amount: number }[],
) {
  await sleep(3000); // past the window: Redis no longer knows these ids
  await processors.setFailure('default', true);
  const old = first.slice(0, 2000);
  const fresh = Array.from({ length: 2000 }, () => newPayment(2.02));
  const callsBefore = callsFor(
    processors,
    old.map((p) => p.correlationId),
  );
  const mixed = await postAll(inst.pool, [...old, ...fresh]);
  t.equal(mixed.filter((a) => a.status === 202).length, 4000, 're-posts and new ones: all 202');
  const toFallback = await reachesWhileRising(
    async () => (await getSummary(inst.url)).fallback.totalRequests,
    fresh.length,
  );
  t.ok(
    toFallback.reached,
    `the new ones go to fallback once default has failed longer than DEFAULT_WAIT_MS (${toFallback.last})`,
  );
  await sleep(1000);
  t.equal(
    callsFor(
      processors,
      old.map((p) => p.correlationId),
    ),
    callsBefore,
    'no re-post after the window reached a processor (not even fallback, while default failed)',
  );
  return fresh;
}

/** /metrics while Redis is full: claim failures, refusals, what is not durable, and Redis' memory against its cap. */
async function metricsSayFull(t: Test, url: string, refusedCount: number, held: number): Promise<void> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const value = (series: RegExp) => Number(series.exec(metrics)?.[1] ?? NaN);
  t.ok(
    value(/^rinha_claim_failures_total\{[^}]*reason="full"[^}]*\} (\d+)/m) > 0,
    '/metrics: claim failures, reason full',
  );
  t.equal(
    value(/^payment_requests_total\{[^}]*outcome="refused"[^}]*\} (\d+)/m),
    refusedCount,
    '/metrics: every 503 counted as refused',
  );
  t.equal(value(/^rinha_payments_not_durable\{[^}]*\} (\d+)/m), held, '/metrics: what is not durable');
  const used = value(/^rinha_claim_store_memory_used_bytes\{[^}]*\} (\d+)/m);
  const max = value(/^rinha_claim_store_memory_cap_bytes\{[^}]*\} (\d+)/m);
  t.ok(max > 0 && used > max, `/metrics: Redis memory ${used} against its cap ${max}`);
}

t.test(
  'tens of thousands of payments in a Redis capped 2 MB above its use, then re-posts after the window, default failing',
  { skip: existsSync(REDIS_SERVER) ? false : `needs ${REDIS_SERVER}` },
  async (t) => {
    const redis = await ownRedis(t);
    const processors = await startProcessors(t);
    const inst = await startInstance(t, redis.url, processors, { dedupeWindowMs: 2000, defaultWaitMs: 300 });
    // What every id ever accepted would need: about 84 bytes each, 3.4 MB for these 40,000.
    const cap = (await usedMemory(redis.admin)) + 2 * 1024 * 1024;
    await redis.admin.config('SET', 'maxmemory', String(cap));

    const sampler = peakSampler(t, redis.admin);
    const first = Array.from({ length: 40_000 }, () => newPayment(1.01));
    const answers = await postAll(inst.pool, first, 32, 1000);
    t.equal(answers.filter((a) => a.status === 202).length, first.length, 'all 40,000 answered 202');
    // Waited for as long as the count rises: on a slow machine this one thread (HTTP, core, simulators and
    // client) can fall behind the 1,000 posts a second, and catching up is not what this test is about.
    const recorded = await reachesWhileRising(
      async () => (await getSummary(inst.url)).default.totalRequests,
      first.length,
    );
    t.ok(recorded.reached, `all 40,000 recorded (${recorded.last})`);
    const peak = sampler.stop();
    t.ok(
      peak < cap,
      `Redis stayed under its cap: at most ${(peak / 1e6).toFixed(2)} MB of ${(cap / 1e6).toFixed(2)} MB`,
    );

    const fresh = await repostAfterWindow(t, inst, processors, first);
    const agree = await summariesAgree(inst.url, processors);
    t.ok(agree.equal, `our summary equals the processors': ${JSON.stringify(agree.ours)}`);
    t.equal(
      agree.theirs.default.totalRequests + agree.theirs.fallback.totalRequests,
      first.length + fresh.length,
      'each payment recorded by exactly one processor, once',
    );
    t.same(
      inst.lines
        .filter((l) => l.level === 'warn' || l.level === 'error')
        .map((l) => l.event)
        .filter((e) => e !== 'dedupe-memory-rebuilt'), // the first start on an empty Redis
      [],
      'no claim, look-up or write failed',
    );
  },
);

t.test(
  'Redis full: 503 with Retry-After instead of 202s that would stall, a small log, and recovery once the cap is lifted',
  { skip: existsSync(REDIS_SERVER) ? false : `needs ${REDIS_SERVER}` },
  async (t) => {
    const redis = await ownRedis(t);
    const processors = await startProcessors(t);
    const inst = await startInstance(t, redis.url, processors, { logRepeatMs: 10_000 });
    const before = await postAll(inst.pool, [newPayment(3.03)]);
    t.equal(before[0].status, 202);
    t.ok(await eventually(async () => (await recordedIds(inst.schema, [before[0].id])).size === 1), 'recorded');
    // Below what it uses: every write is refused (OOM), as once the window no longer fits.
    await fillUp(redis.admin);
    await redis.admin.config('SET', 'maxmemory-policy', 'noeviction');

    const during = await postAll(
      inst.pool,
      Array.from({ length: 3000 }, () => newPayment(4.04)),
      16,
    );
    const accepted = during.filter((a) => a.status === 202);
    const refused = during.filter((a) => a.status === 503);
    t.equal(accepted.length + refused.length, during.length, 'every answer 202 or 503');
    t.ok(
      accepted.length < 100,
      `202 only until the instance knew (${accepted.length} of ${during.length}): those are held in memory`,
    );
    t.match(refused[0], { error: 'STORE_UNAVAILABLE', retryAfter: '1' }, 'the catalogued code, with Retry-After');
    const held = (await inst.app.inspect()).claiming;
    t.equal(held, accepted.length, `the ${accepted.length} acknowledged ones wait, not yet durable`);
    await metricsSayFull(t, inst.url, refused.length, held);
    const linesBefore = inst.lines.length;
    await sleep(3000);
    const lines = inst.lines.slice(linesBefore);
    // Claim retries (5 a second), heartbeats and health rounds all fail meanwhile: none logs on its own.
    t.ok(lines.length <= 3, `3 s of a full Redis: ${lines.length} log lines (${lines.map((l) => l.event).join(', ')})`);

    await redis.admin.config('SET', 'maxmemory', '0');
    const ids = [...before, ...accepted].map((a) => a.id);
    t.ok(
      await eventually(async () => (await recordedIds(inst.schema, ids)).size === ids.length, 20_000),
      `once Redis takes writes again, all ${ids.length} acknowledged payments are recorded`,
    );
    const after = await postAll(inst.pool, [newPayment(5.05)]);
    t.equal(after[0].status, 202, 'and new payments are welcome again');
    t.equal(
      callsFor(
        processors,
        refused.map((a) => a.id),
      ),
      0,
      'no payment answered 503 reached a processor',
    );
    t.ok(
      inst.lines.some((l) => l.event === 'intake-open'),
      'the log says when it takes payments again',
    );
  },
);

t.test(
  'with ACK_WHEN_DURABLE a 202 means the claim is in Redis: none while Redis is full',
  { skip: existsSync(REDIS_SERVER) ? false : `needs ${REDIS_SERVER}` },
  async (t) => {
    const redis = await ownRedis(t);
    const processors = await startProcessors(t);
    const inst = await startInstance(t, redis.url, processors, { ackWhenDurable: true });
    t.equal((await postAll(inst.pool, [newPayment(6.06)]))[0].status, 202);
    await fillUp(redis.admin);
    const during = await postAll(
      inst.pool,
      Array.from({ length: 500 }, () => newPayment(7.07)),
      16,
    );
    t.same(
      during.filter((a) => a.status !== 503),
      [],
      'every payment answered 503 while Redis cannot take it',
    );
    await redis.admin.config('SET', 'maxmemory', '0');
    // A 503 means "not known to be durable": a payment whose first claim failed may still land when
    // Redis takes writes again (retrying it is safe either way); nothing is recorded twice.
    await sleep(1500);
    const retried = await postAll(
      inst.pool,
      during.slice(0, 50).map((a) => ({ correlationId: a.id, amount: 7.07 })),
    );
    t.same(
      retried.filter((a) => a.status !== 202),
      [],
      'retried once Redis takes writes: 202',
    );
    t.ok(
      await eventually(async () => {
        const agree = await summariesAgree(inst.url, processors);
        return agree.equal && agree.ours.default.totalRequests >= 51;
      }, 10_000),
      'the retried ones recorded, and our summary equals the processors',
    );
  },
);

t.test(
  'a graceful stop while Redis refuses waits for the acknowledged payments, then says once how many it could not keep',
  { skip: existsSync(REDIS_SERVER) ? false : `needs ${REDIS_SERVER}` },
  async (t) => {
    const redis = await ownRedis(t);
    const processors = await startProcessors(t);
    // The stop waits up to PROCESSOR_TIMEOUT_MS for what is not durable.
    const inst = await startInstance(t, redis.url, processors, { processorTimeoutMs: 1500 });
    await fillUp(redis.admin);
    const during = await postAll(
      inst.pool,
      Array.from({ length: 300 }, () => newPayment(8.08)),
      16,
    );
    const accepted = during.filter((a) => a.status === 202).length;
    const held = (await inst.app.inspect()).claiming;
    const started = Date.now();
    await inst.app.close();
    const waited = Date.now() - started;
    const said = inst.lines.filter((l) => l.event === 'not-durable-at-stop') as { count?: number }[];
    // The gate learns from a failed claim: the first batch after the cap is always acknowledged.
    t.ok(held > 0 && held === accepted, `${accepted} acknowledged, not durable`);
    t.ok(waited >= 1400, `the stop waited for them (${waited} ms)`);
    t.same(
      said.map((l) => l.count),
      [held],
      'and said once how many it could not make durable',
    );
  },
);
