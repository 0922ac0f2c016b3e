// One instance (or two) end to end, against the processor simulator, the real
// Postgres and the real Redis: what a user of the API would check.
import t, { type Test } from 'tap';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { Client } from 'undici';
import { loadConfig } from '../src/shared/config';
import {
  eventually,
  getSummary,
  REDIS_URL,
  namespace,
  newPayment,
  postPayment,
  recordedTotal,
  assertMatchesProcessors,
  sleep,
  startProcessors,
  startTestApp,
  summariesAgree,
  type Processors,
} from './fixtures/pipeline';

const EMPTY = { default: { totalRequests: 0, totalAmount: 0 }, fallback: { totalRequests: 0, totalAmount: 0 } };

t.test('happy path: payments are answered at once, sent to default and summarised to the cent', async (t) => {
  const processors = await startProcessors(t);
  const app = await startTestApp(t, {
    ...namespace(t),
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
  });
  const amounts = [19.9, 0.01, 20.05, 1234567.89, 0.1, 0.2];
  for (const amount of amounts) {
    const res = await postPayment(app.url, newPayment(amount));
    t.equal(res.status, 202, `payment of ${amount} accepted`);
  }
  t.ok(
    await eventually(async () => (await getSummary(app.url)).default.totalRequests === amounts.length),
    'all payments recorded',
  );
  const { ours, theirs, equal } = await summariesAgree(app.url, processors);
  t.ok(equal, 'our summary equals the processors');
  t.same(
    ours,
    { default: { totalRequests: 6, totalAmount: 1234608.15 }, fallback: { totalRequests: 0, totalAmount: 0 } },
    'exact cents',
  );
  t.same(theirs.fallback, { totalRequests: 0, totalAmount: 0 }, 'nothing went to fallback');
});

t.test('bad input gets a 4xx with a JSON error and changes nothing', async (t) => {
  const processors = await startProcessors(t);
  const app = await startTestApp(t, {
    ...namespace(t),
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
    maxBodyBytes: 256,
  });
  const id = newPayment().correlationId;
  const cases: [string, unknown, number, string][] = [
    ['not JSON', '{"correlationId":', 400, 'INVALID_JSON'],
    ['an array', '[1,2]', 400, 'BODY_NOT_OBJECT'],
    ['null', 'null', 400, 'BODY_NOT_OBJECT'],
    ['empty body', '', 400, 'INVALID_JSON'],
    ['missing amount', { correlationId: id }, 400, 'MISSING_FIELD'],
    ['missing correlationId', { amount: 1 }, 400, 'MISSING_FIELD'],
    ['extra field', { correlationId: id, amount: 1, requestedAt: 'x' }, 400, 'UNKNOWN_FIELD'],
    ['correlationId not a UUID', { correlationId: 'abc', amount: 1 }, 400, 'INVALID_CORRELATION_ID'],
    ['correlationId a number', { correlationId: 42, amount: 1 }, 400, 'INVALID_CORRELATION_ID'],
    ['amount a string', { correlationId: id, amount: '10.00' }, 400, 'INVALID_AMOUNT'],
    ['amount zero', { correlationId: id, amount: 0 }, 400, 'INVALID_AMOUNT'],
    ['amount negative', { correlationId: id, amount: -5 }, 400, 'INVALID_AMOUNT'],
    ['amount with 3 decimals', { correlationId: id, amount: 1.234 }, 400, 'INVALID_AMOUNT'],
    ['amount too large', { correlationId: id, amount: 1e12 }, 400, 'INVALID_AMOUNT'],
    ['body too large', JSON.stringify({ correlationId: id, amount: 1, pad: 'x'.repeat(400) }), 413, 'BODY_TOO_LARGE'],
  ];
  for (const [name, body, status, code] of cases) {
    const res = await postPayment(app.url, body);
    t.equal(res.status, status, `${name}: status ${status}`);
    t.match(res.json, { error: code, message: String }, `${name}: error ${code}`);
  }
  for (const query of [
    'from=yesterday&to=2025-01-01T00:00:00Z',
    'from=2025-01-01T00:00:00Z&to=2025-13-01T00:00:00Z',
    'from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z',
  ]) {
    const res = await fetch(`${app.url}/payments-summary?${query}`);
    t.equal(res.status, 400, `summary with ${query}: 400`);
  }
  await sleep(300);
  t.same(await getSummary(app.url), EMPTY, 'our store is unchanged');
  t.same(
    await processors.summary('default'),
    { totalRequests: 0, totalAmount: 0, totalFee: 0, feePerTransaction: 0.05 },
    'default processor received nothing',
  );
  t.equal((await processors.summary('fallback')).totalRequests, 0, 'fallback processor received nothing');
});

t.test('a correlationId posted again, to either instance, is processed and counted once', async (t) => {
  const processors = await startProcessors(t);
  const ns = namespace(t);
  const settings = { ...ns, defaultUrl: processors.url.default, fallbackUrl: processors.url.fallback };
  const a = await startTestApp(t, { ...settings, instanceId: 'dup-a' });
  const b = await startTestApp(t, { ...settings, instanceId: 'dup-b' });
  const payment = newPayment(10);
  const answers = await Promise.all([a, b, a, b, a].map((app) => postPayment(app.url, payment)));
  t.same(
    answers.map((r) => r.status),
    [202, 202, 202, 202, 202],
    'retries are answered 2xx (idempotent)',
  );
  await postPayment(a.url, newPayment(5));
  t.ok(
    await eventually(async () => (await getSummary(a.url)).default.totalRequests === 2),
    'two distinct payments recorded',
  );
  await sleep(300);
  const { ours, equal } = await summariesAgree(b.url, processors);
  t.ok(equal, 'summaries agree');
  t.same(ours.default, { totalRequests: 2, totalAmount: 15 }, 'the duplicate counted once');
  // The processor's 422 and our primary key would hide a duplicate that reached a processor: count the calls.
  t.same(
    [processors.calls('default', payment.correlationId), processors.calls('fallback', payment.correlationId)],
    [1, 0],
    'the processors were called once for it: the other four never left our instances',
  );
});

t.test('Redis loses everything: ids recorded before, or still in flight, are not processed again', async (t) => {
  const processors = await startProcessors(t);
  const ns = namespace(t);
  const settings = { ...ns, defaultUrl: processors.url.default, fallbackUrl: processors.url.fallback };
  const a = await startTestApp(t, { ...settings, instanceId: 'lost-a' });
  const b = await startTestApp(t, { ...settings, instanceId: 'lost-b' });
  const recorded = Array.from({ length: 10 }, () => newPayment(3));
  for (const [i, p] of recorded.entries()) await postPayment([a, b][i % 2].url, p);
  t.ok(await eventually(async () => (await recordedTotal(a.url)) === 10), 'ten recorded');
  // Ten more in the processor's hands (1 s delay) when Redis loses its data.
  await processors.setDelay('default', 1000);
  const inFlight = Array.from({ length: 10 }, () => newPayment(4));
  for (const [i, p] of inFlight.entries()) await postPayment([a, b][i % 2].url, p);
  await sleep(200);
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  const keys = await redis.keys(`${ns.redisPrefix}*`);
  t.ok(keys.includes(`${ns.redisPrefix}epoch`), 'the marker was there');
  await redis.del(...keys); // as a restart without persistence, for this deployment's keys
  // Every id posted again, to the other instance this time.
  const again = [...recorded, ...inFlight];
  const answers = await Promise.all(again.map((p, i) => postPayment([b, a][i % 2].url, p)));
  t.ok(
    answers.every((r) => r.status === 202),
    'answered 202 as duplicates are',
  );
  const fresh = newPayment(5);
  await postPayment(a.url, fresh);
  await processors.setDelay('default', 0);
  t.ok(await eventually(async () => (await recordedTotal(a.url)) === 21, 15_000), 'twenty-one payments, each once');
  await sleep(300);
  t.same(
    again.map((p) => processors.calls('default', p.correlationId) + processors.calls('fallback', p.correlationId)),
    again.map(() => 1),
    'the processors were called once for each id: the second post never left our instances',
  );
  await assertMatchesProcessors(t, a.url, processors, ns.databaseSchema, [
    ...again.map((p) => p.correlationId),
    fresh.correlationId,
  ]);
});

t.test('an instance that joins late is in the summary barrier from its first payment', async (t) => {
  const processors = await startProcessors(t);
  const ns = namespace(t);
  const settings = { ...ns, defaultUrl: processors.url.default, fallbackUrl: processors.url.fallback };
  const a = await startTestApp(t, { ...settings, instanceId: 'early-a' });
  const b = await startTestApp(t, { ...settings, instanceId: 'early-b' });
  await postPayment(a.url, newPayment(1));
  await postPayment(b.url, newPayment(2));
  t.ok(await eventually(async () => (await recordedTotal(a.url)) === 2), 'two recorded before it joins');
  // It joins with a writer that would keep its rows for a minute: only the barrier can bring them to Postgres.
  const late = await startTestApp(t, { ...settings, instanceId: 'late-c', writerFlushMs: 60_000 });
  const ids = Array.from({ length: 5 }, () => newPayment(3));
  for (const p of ids) t.equal((await postPayment(late.url, p)).status, 202);
  t.ok(
    await eventually(async () => ids.every((p) => processors.calls('default', p.correlationId) === 1)),
    'it takes payments at once',
  );
  await sleep(100);
  t.same(
    (await getSummary(a.url)).default,
    { totalRequests: 7, totalAmount: 18 },
    "a summary asked of an early instance counts the late one's payments: it flushed for the barrier",
  );
  t.ok((await summariesAgree(b.url, processors)).equal, 'equal to the processors');
});

t.test('default failing: payments go to fallback once they waited DEFAULT_WAIT_MS', async (t) => {
  const processors = await startProcessors(t);
  await processors.setFailure('default', true);
  const app = await startTestApp(t, {
    ...namespace(t),
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
    defaultWaitMs: 300,
  });
  for (let i = 0; i < 20; i++) t.equal((await postPayment(app.url, newPayment(1))).status, 202);
  t.ok(
    await eventually(async () => (await getSummary(app.url)).fallback.totalRequests === 20),
    'all 20 recorded by fallback',
  );
  const { ours, equal } = await summariesAgree(app.url, processors);
  t.ok(equal, 'summaries agree');
  t.equal(ours.default.totalRequests, 0, 'the failing default recorded nothing');
});

t.test('default failing for less than DEFAULT_WAIT_MS: payments wait for it rather than pay fallback', async (t) => {
  const processors = await startProcessors(t);
  await processors.setFailure('default', true);
  const app = await startTestApp(t, {
    ...namespace(t),
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
    defaultWaitMs: 60_000,
  });
  for (let i = 0; i < 10; i++) await postPayment(app.url, newPayment(2));
  await sleep(800);
  t.equal((await processors.summary('fallback')).totalRequests, 0, 'fallback not used while waiting');
  await processors.setFailure('default', false);
  t.ok(
    await eventually(async () => (await getSummary(app.url)).default.totalRequests === 10),
    'all 10 recorded by default once it is back',
  );
  t.ok((await summariesAgree(app.url, processors)).equal, 'summaries agree');
});

t.test('both failing: payments wait, then complete when a processor comes back', async (t) => {
  const processors = await startProcessors(t);
  await processors.setFailure('default', true);
  await processors.setFailure('fallback', true);
  const ns = namespace(t);
  const app = await startTestApp(t, {
    ...ns,
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
    defaultWaitMs: 100,
  });
  const payments = Array.from({ length: 15 }, () => newPayment(3));
  for (const p of payments) t.equal((await postPayment(app.url, p)).status, 202);
  await sleep(1000);
  t.same(await getSummary(app.url), EMPTY, 'nothing recorded while both fail');
  const waiting = await app.inspect();
  t.equal(
    waiting.waiting + waiting.inFlight.default + waiting.inFlight.fallback,
    15,
    'all 15 are still held (waiting or in flight)',
  );
  await processors.setFailure('fallback', false);
  t.ok(await eventually(async () => (await recordedTotal(app.url)) === 15), 'all 15 recorded once fallback is back');
  await assertMatchesProcessors(
    t,
    app.url,
    processors,
    ns.databaseSchema,
    payments.map((p) => p.correlationId),
  );
});

t.test("recovery under the processors' real health limit (1 check per 5 s) and our default settings", async (t) => {
  // Every other test shortens the health window to 200 ms; here it is the official 5 s, and the instance
  // keeps its default intervals, so recovery cannot lean on frequent health reports.
  const processors = await startProcessors(t, { healthWindowMs: 5000 });
  const ns = namespace(t);
  const settings = { ...ns, defaultUrl: processors.url.default, fallbackUrl: processors.url.fallback };
  const defaults = loadConfig({});
  const a = await startTestApp(t, {
    ...settings,
    instanceId: 'real-a',
    healthIntervalMs: defaults.healthIntervalMs,
    heartbeatMs: defaults.heartbeatMs,
    breakerCooldownMs: defaults.breakerCooldownMs,
  });
  const b = await startTestApp(t, {
    ...settings,
    instanceId: 'real-b',
    healthIntervalMs: defaults.healthIntervalMs,
    heartbeatMs: defaults.heartbeatMs,
    breakerCooldownMs: defaults.breakerCooldownMs,
  });
  await processors.setFailure('default', true);
  const payments = Array.from({ length: 20 }, (_, i) => newPayment(2 + i / 100));
  for (const [i, p] of payments.entries()) t.equal((await postPayment((i % 2 ? a : b).url, p)).status, 202);
  await sleep(2000);
  t.same(await getSummary(a.url), EMPTY, 'while default fails (for less than DEFAULT_WAIT_MS), they wait for it');
  await processors.setFailure('default', false);
  t.ok(
    await eventually(async () => (await getSummary(a.url)).default.totalRequests === payments.length, 15_000),
    'default back: every payment recorded there',
  );
  await assertMatchesProcessors(
    t,
    a.url,
    processors,
    ns.databaseSchema,
    payments.map((p) => p.correlationId),
  );
  t.same((await getSummary(b.url)).fallback, EMPTY.fallback, 'nothing paid the fallback fee');
  for (const p of ['default', 'fallback'] as const) {
    t.equal(processors.stats(p).healthRejected, 0, `no health check of ${p} refused: the two kept to the limit`);
  }
});

t.test('time-outs where the processor did record: retried to the same processor, recorded exactly once', async (t) => {
  const processors = await startProcessors(t);
  await processors.setDelay('default', 700);
  const ns = namespace(t);
  const app = await startTestApp(t, {
    ...ns,
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
    processorTimeoutMs: 300,
    consistencyHorizonMs: 5000,
  });
  const payments = Array.from({ length: 8 }, () => newPayment(7.77));
  for (const p of payments) await postPayment(app.url, p);
  await sleep(400);
  const during = await app.inspect();
  t.ok(
    during.processors.find((p) => p.processor === 'default')!.pinned > 0,
    'answers were lost and payments pinned to default',
  );
  await processors.setDelay('default', 0);
  t.ok(
    await eventually(async () => (await recordedTotal(app.url)) === payments.length, 15_000),
    'every payment recorded',
  );
  for (const p of payments) {
    const found = [
      await processors.lookup('default', p.correlationId),
      await processors.lookup('fallback', p.correlationId),
    ].filter((s) => s === 200);
    t.equal(found.length, 1, `payment ${p.correlationId.slice(0, 8)} recorded by exactly one processor`);
  }
  await assertMatchesProcessors(
    t,
    app.url,
    processors,
    ns.databaseSchema,
    payments.map((p) => p.correlationId),
  );
});

/** The pinned payments by default alone (fallback never even offered them); the later ones by fallback. */
async function recordedWhereExpected(
  t: Test,
  processors: Processors,
  lost: { correlationId: string }[],
  later: { correlationId: string }[],
): Promise<void> {
  const where = async (id: string) => [await processors.lookup('default', id), await processors.lookup('fallback', id)];
  for (const p of lost) {
    t.same(await where(p.correlationId), [200, 404], `${p.correlationId.slice(0, 8)}: recorded by default only`);
    t.equal(processors.calls('fallback', p.correlationId), 0, 'fallback was never even offered it');
  }
  for (const p of later)
    t.same(
      await where(p.correlationId),
      [404, 200],
      `${p.correlationId.slice(0, 8)}: posted while default failed, recorded by fallback`,
    );
}

t.test(
  'a payment whose answer was lost at default, after default recorded it, stays there when routing turns to fallback',
  async (t) => {
    const processors = await startProcessors(t);
    // Default takes 700 ms, our calls give up after 300: default records each payment after our time-out.
    await processors.setDelay('default', 700);
    const ns = namespace(t);
    const app = await startTestApp(t, {
      ...ns,
      defaultUrl: processors.url.default,
      fallbackUrl: processors.url.fallback,
      processorTimeoutMs: 300,
      defaultWaitMs: 0,
    });
    const lost = Array.from({ length: 6 }, () => newPayment(4.44));
    for (const p of lost) t.equal((await postPayment(app.url, p)).status, 202);
    t.ok(
      await eventually(async () => {
        const s = await app.inspect();
        return s.processors.find((p) => p.processor === 'default')!.pinned === lost.length;
      }, 5000),
      'every answer was lost: all pinned to default',
    );
    const later = Array.from({ length: 6 }, () => newPayment(5.55));
    t.ok(
      await eventually(async () => (await processors.summary('default')).totalRequests === lost.length, 5000),
      'default recorded them all, after our calls gave up',
    );
    // Default now fails every call at once: its breaker opens, and with DEFAULT_WAIT_MS 0 waiting payments go
    // to fallback. The pinned ones must not: default already holds them.
    await processors.setDelay('default', 0);
    await processors.setFailure('default', true);
    for (const p of later) t.equal((await postPayment(app.url, p)).status, 202);

    const all = [...lost, ...later];
    t.ok(
      await eventually(async () => (await recordedTotal(app.url)) === all.length, 15_000),
      'every payment recorded in our store',
    );
    await recordedWhereExpected(t, processors, lost, later);
    const ours = await assertMatchesProcessors(
      t,
      app.url,
      processors,
      ns.databaseSchema,
      all.map((p) => p.correlationId),
    );
    t.same(
      ours,
      {
        default: { totalRequests: 6, totalAmount: 26.64 },
        fallback: { totalRequests: 6, totalAmount: 33.3 },
      },
      'the route to fallback existed and was used, for the later payments only',
    );
  },
);

t.test(
  'summary windows: inclusive bounds on the requestedAt sent, equal to the processors for any window',
  async (t) => {
    const processors = await startProcessors(t);
    const app = await startTestApp(t, {
      ...namespace(t),
      defaultUrl: processors.url.default,
      fallbackUrl: processors.url.fallback,
    });
    const payments = [];
    for (let i = 0; i < 12; i++) {
      payments.push(newPayment(1 + i / 100));
      await postPayment(app.url, payments[i]);
      await sleep(15);
    }
    t.ok(await eventually(async () => (await getSummary(app.url)).default.totalRequests === 12), 'all recorded');
    const times: string[] = [];
    for (const p of payments) {
      const res = await fetch(`${processors.url.default}/payments/${p.correlationId}`);
      times.push(((await res.json()) as { requestedAt: string }).requestedAt);
    }
    const iso = (s: string) => new Date(s).toISOString();
    // Between two payments: the widest gap between consecutive requestedAt (stamped as each call went out, so two
    // sent together may share a millisecond).
    const sorted = times.map((x) => Date.parse(x)).sort((a, b) => a - b);
    const gap = sorted
      .slice(1)
      .reduce((best, at, i) => (at - sorted[i] > sorted[best + 1] - sorted[best] ? i : best), 0);
    t.ok(
      sorted[gap + 1] - sorted[gap] >= 2,
      `two payments sent at least 2 ms apart (${sorted[gap + 1] - sorted[gap]} ms)`,
    );
    const windows: [string, string][] = [
      [iso(times[3]), iso(times[7])],
      [iso(times[0]), iso(times[0])],
      [iso(times[11]), iso(new Date(Date.parse(times[11]) + 1000).toISOString())],
      [new Date(sorted[gap] + 1).toISOString(), new Date(sorted[gap + 1] - 1).toISOString()],
      ['2000-01-01T00:00:00.000Z', '2000-01-02T00:00:00.000Z'],
    ];
    for (const [from, to] of windows) {
      const { ours, theirs, equal } = await summariesAgree(app.url, processors, from, to);
      t.ok(
        equal,
        `window [${from}, ${to}] agrees: ours ${JSON.stringify(ours.default)} theirs ${JSON.stringify(theirs.default)}`,
      );
    }
    const inclusive = await getSummary(app.url, iso(times[3]), iso(times[7]));
    const within = sorted.filter((at) => at >= Date.parse(times[3]) && at <= Date.parse(times[7])).length;
    t.ok(within >= 5, `payments 3 to 7, and any sent in the same milliseconds (${within})`);
    t.equal(inclusive.default.totalRequests, within, 'payments exactly at from and at to are counted');
    t.equal(
      (await getSummary(app.url, iso(times[3]))).default.totalRequests,
      12,
      'a missing bound counts everything, as the processors do',
    );
  },
);

t.test('two instances share one health check per interval through the Redis lease', async (t) => {
  const processors = await startProcessors(t, { healthWindowMs: 300 });
  // A counting proxy in front of each processor's health endpoint.
  const calls = { default: 0, fallback: 0 };
  const proxy = async (name: 'default' | 'fallback') => {
    const target = new URL(processors.url[name]);
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/payments/service-health')) calls[name]++;
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.teardown(() => new Promise<void>((r) => server.close(() => r())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const urls = { defaultUrl: await proxy('default'), fallbackUrl: await proxy('fallback') };
  const ns = namespace(t);
  const started = Date.now();
  const a = await startTestApp(t, { ...ns, ...urls, instanceId: 'lease-a', healthIntervalMs: 300 });
  const b = await startTestApp(t, { ...ns, ...urls, instanceId: 'lease-b', healthIntervalMs: 300 });
  await sleep(2000);
  const elapsed = Date.now() - started;
  const maxCalls = Math.ceil(elapsed / 300) + 1;
  t.ok(
    calls.default > 0 && calls.default <= maxCalls,
    `default health polled ${calls.default} times in ${elapsed} ms (at most ${maxCalls}: once per interval for ` +
      `both instances)`,
  );
  t.ok(
    calls.fallback > 0 && calls.fallback <= maxCalls,
    `fallback health polled ${calls.fallback} times (at most ${maxCalls})`,
  );
  const [sa, sb] = await Promise.all([a.inspect(), b.inspect()]);
  const seen = (s: typeof sa) => s.processors.find((p) => p.processor === 'default')!.health;
  t.ok(seen(sa) && seen(sb), 'both instances know the health of default');
  t.ok(['lease-a', 'lease-b'].includes(seen(sa)!.checkedBy), 'health was checked by one of them and shared');
});

t.test('purge empties our store; health answers with status and time', async (t) => {
  const processors = await startProcessors(t);
  const app = await startTestApp(t, {
    ...namespace(t),
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
  });
  await postPayment(app.url, newPayment(4));
  t.ok(await eventually(async () => (await getSummary(app.url)).default.totalRequests === 1), 'recorded');
  const purge = await fetch(`${app.url}/purge-payments`, { method: 'POST' });
  t.equal(purge.status, 200, 'purge answers 200');
  t.same(await getSummary(app.url), EMPTY, 'store is empty after purge');
  const health = await fetch(`${app.url}/health`);
  t.equal(health.status, 200);
  t.match(await health.json(), { status: 'ok', instance: String, time: String });
});

t.test('a payment accepted just before a purge is purged with the rest, not recorded just after it', async (t) => {
  const processors = await startProcessors(t);
  // Accepted payments wait 300 ms in the HTTP thread's intake batch before they reach the core.
  const app = await startTestApp(t, {
    ...namespace(t),
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
    intakeFlushMs: 300,
  });
  const late = newPayment(7);
  t.equal((await postPayment(app.url, late)).status, 202, 'accepted');
  t.equal((await fetch(`${app.url}/purge-payments`, { method: 'POST' })).status, 200, 'then purged');
  await sleep(1000);
  t.same(await getSummary(app.url), EMPTY, 'nothing recorded after the purge');
  t.equal(
    processors.calls('default', late.correlationId) + processors.calls('fallback', late.correlationId),
    0,
    'and nothing sent to a processor',
  );
  const after = newPayment(8);
  t.equal((await postPayment(app.url, after)).status, 202);
  t.ok(await eventually(async () => (await getSummary(app.url)).default.totalRequests === 1), 'new payments go on');
});

t.test('graceful shutdown: health says so, new payments get 503, accepted ones are all recorded', async (t) => {
  const processors = await startProcessors(t);
  await processors.setDelay('default', 300);
  const settings = { ...namespace(t), defaultUrl: processors.url.default, fallbackUrl: processors.url.fallback };
  const app = await startTestApp(t, settings);
  for (let i = 0; i < 10; i++) await postPayment(app.url, newPayment(6));
  // A client connected before the shutdown: its connection stays open while the instance drains, and what it
  // asks then must be answered 503, not refused or accepted and lost. (New connections are refused: the
  // listening socket closes first.)
  const connected = new Client(app.url, { keepAliveTimeout: 60_000 });
  t.teardown(() => connected.close());
  const before = await connected.request({ path: '/health', method: 'GET' });
  t.equal(before.statusCode, 200, 'connected before');
  await before.body.dump();
  const closing = app.close();
  const health = await connected.request({ path: '/health', method: 'GET' });
  t.equal(health.statusCode, 503, 'health says it is going');
  t.match(await health.body.json(), { status: 'shutting-down' });
  const late = await connected.request({
    path: '/payments',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(newPayment()),
  });
  t.equal(late.statusCode, 503, 'a payment posted during shutdown is refused with 503, not accepted and lost');
  t.match(await late.body.json(), { error: 'SHUTTING_DOWN' });
  const newcomer = new Client(app.url);
  t.teardown(() => newcomer.close());
  const refused = await newcomer.request({ path: '/health', method: 'GET' }).then(
    () => 'answered',
    (err: { code?: string }) => err.code,
  );
  t.equal(refused, 'ECONNREFUSED', 'a new connection is refused');
  await closing;
  t.equal((await processors.summary('default')).totalRequests, 10, 'payments in flight at shutdown were completed');
  const successor = await startTestApp(t, settings);
  const { ours, equal } = await summariesAgree(successor.url, processors);
  t.ok(equal, 'what it flushed before exiting equals what the processor recorded');
  t.equal(ours.default.totalRequests, 10);
});

t.test('payments batched in the intake (INTAKE_FLUSH_MS) go out at a summary and at a shutdown', async (t) => {
  // The contest profile batches over 10 ms; here the batch would wait a minute, so only the flushes can send it.
  const processors = await startProcessors(t);
  const settings = {
    ...namespace(t),
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
    intakeFlushMs: 60_000,
  };
  const app = await startTestApp(t, settings);
  for (let i = 0; i < 3; i++) t.equal((await postPayment(app.url, newPayment(2.5))).status, 202);
  await sleep(300);
  t.equal((await processors.summary('default')).totalRequests, 0, 'still in the batch');
  await getSummary(app.url);
  t.ok(
    await eventually(async () => (await processors.summary('default')).totalRequests === 3),
    'a summary hands the batch over: the three are sent',
  );
  for (let i = 0; i < 4; i++) t.equal((await postPayment(app.url, newPayment(1))).status, 202);
  await app.close();
  t.equal((await processors.summary('default')).totalRequests, 7, 'a shutdown sends what was still in the batch');
  const successor = await startTestApp(t, { ...settings, intakeFlushMs: 0 });
  const { ours, equal } = await summariesAgree(successor.url, processors);
  t.ok(equal, "our summary equals the processors'");
  t.same(ours.default, { totalRequests: 7, totalAmount: 11.5 }, 'each once, to the cent');
});

/** The value of a series in an exposition, whatever the order of its labels (undefined when absent). */
function seriesValue(text: string): (series: string) => number | undefined {
  const key = (name: string, labels: string) => `${name}{${labels.split(',').filter(Boolean).sort().join(',')}}`;
  return (series) => {
    const [, name, labels] = /^([^{]+)\{(.*)\}$/.exec(series)!;
    const wanted = key(name, labels);
    for (const line of text.split('\n')) {
      const m = /^([^{ ]+)\{(.*)\} (\S+)$/.exec(line);
      if (m && key(m[1], m[2]) === wanted) return Number(m[3]);
    }
    return undefined;
  };
}

/** What /metrics says after 5 payments recorded by default and 2 refused for their input. */
const AFTER_FIVE_PAYMENTS: [string, number, string][] = [
  ['payment_requests_total{outcome="accepted",instance_id="metrics-a"}', 5, 'accepted'],
  ['payment_requests_total{outcome="rejected_input",instance_id="metrics-a"}', 2, 'rejected for input'],
  ['rinha_processor_requests_total{processor="default",outcome="sent",instance_id="metrics-a"}', 5, 'sent to default'],
  [
    'rinha_processor_requests_total{processor="default",outcome="recorded",instance_id="metrics-a"}',
    5,
    'recorded by default',
  ],
  ['payment_duration_seconds_count{instance_id="metrics-a"}', 7, 'every answer timed'],
  ['rinha_processor_request_duration_seconds_count{processor="default",instance_id="metrics-a"}', 5, 'each call timed'],
];

t.test('metrics after a known sequence of payments: names, labels and values', async (t) => {
  const processors = await startProcessors(t);
  const app = await startTestApp(t, {
    ...namespace(t),
    instanceId: 'metrics-a',
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
  });
  for (let i = 0; i < 5; i++) await postPayment(app.url, newPayment(1));
  await postPayment(app.url, { correlationId: 'nope', amount: 1 });
  await postPayment(app.url, '{');
  t.ok(await eventually(async () => (await getSummary(app.url)).default.totalRequests === 5), 'recorded');
  const res = await fetch(`${app.url}/metrics`);
  t.match(res.headers.get('content-type'), /text\/plain/);
  const text = await res.text();
  const value = seriesValue(text);
  for (const [series, expected, what] of AFTER_FIVE_PAYMENTS) t.equal(value(series), expected, what);
  t.ok(
    value('payment_duration_seconds_bucket{le="0.0001",instance_id="metrics-a"}') !== undefined,
    'buckets start at 0.1 ms',
  );
  t.equal(value('rinha_writer_batch_rows_sum{instance_id="metrics-a"}'), 5, 'five rows written');
  t.equal(
    value('rinha_processor_breaker_state{processor="default",instance_id="metrics-a"}'),
    0,
    'default breaker closed',
  );
  t.equal(value('rinha_payments_waiting{instance_id="metrics-a"}'), 0);
  t.equal(value('rinha_payments_in_flight{processor="default",instance_id="metrics-a"}'), 0);
  t.ok(value('process_resident_memory_bytes{thread="main",instance_id="metrics-a"}')! > 0, 'Node default metrics');
  t.equal(
    value('process_resident_memory_bytes{thread="core",instance_id="metrics-a"}'),
    undefined,
    'process-wide ones once, from the HTTP thread',
  );
  t.equal(value('rinha_writer_lag_seconds{instance_id="metrics-a"}'), 0, 'the writers have every recorded payment');
  t.ok(
    value('nodejs_eventloop_lag_p99_seconds{thread="main",instance_id="metrics-a"}')! >= 0,
    'event-loop delay of the HTTP thread',
  );
  t.ok(
    value('nodejs_eventloop_lag_p99_seconds{thread="core",instance_id="metrics-a"}')! >= 0,
    'and of the core thread, side by side',
  );
  const families = text.split('\n').filter((l) => l.startsWith('# TYPE '));
  t.equal(new Set(families).size, families.length, 'each metric family declared once (valid exposition)');
  t.ok(
    value('rinha_processor_open_connections{processor="default",instance_id="metrics-a"}')! >= 1,
    'a connection to default is open',
  );
  t.ok(
    value('rinha_processor_open_connections{processor="fallback",instance_id="metrics-a"}')! <= 1,
    "to fallback at most the health check's",
  );
  t.equal(
    value('active_connections{instance_id="metrics-a"}'),
    0,
    'no other client request in progress (this one excluded)',
  );
});

t.test('a body that arrives slowly, in pieces, is read whole', async (t) => {
  const processors = await startProcessors(t);
  const app = await startTestApp(t, {
    ...namespace(t),
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
  });
  const { connect } = await import('node:net');
  const body = JSON.stringify(newPayment(9.99));
  const answer = await new Promise<string>((resolve, reject) => {
    const trickle = async () => {
      socket.write(
        'POST /payments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
          `Content-Length: ${body.length}\r\n\r\n`,
      );
      for (let i = 0; i < body.length; i += 7) {
        socket.write(body.slice(i, i + 7));
        await sleep(20);
      }
    };
    const socket = connect(app.port, '127.0.0.1', () => void trickle().catch(reject));
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
  });
  t.match(answer, /^HTTP\/1\.1 202/, 'accepted once the last piece arrived');
  t.ok(
    await eventually(async () => (await getSummary(app.url)).default.totalAmount === 9.99),
    'and recorded with its amount',
  );
});
