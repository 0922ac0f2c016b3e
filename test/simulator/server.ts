import t from 'tap';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startProcessorSimulator, type RunningSimulator } from '../../tools/simulator/server';

const TOKEN = { 'x-rinha-token': '123', 'content-type': 'application/json' };
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function sim(t: { teardown(fn: () => unknown): void }, options = {}): Promise<RunningSimulator> {
  const s = await startProcessorSimulator({ port: 0, healthWindowMs: 300, ...options });
  t.teardown(() => s.close());
  return s;
}

/** A simulator on the memory store, or on Postgres in a schema of its own (dropped when the test ends). */
async function simWithStore(t: { teardown(fn: () => unknown): void }, store: 'memory' | 'postgres', schema: string) {
  if (store === 'memory') return sim(t);
  const s = await sim(t, { databaseUrl: DATABASE_URL, schema });
  t.teardown(async () => {
    const pg = new Client({ connectionString: DATABASE_URL });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pg.end();
  });
  return s;
}

const pay = (s: RunningSimulator, body: unknown) =>
  fetch(`${s.url}/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const put = (s: RunningSimulator, what: string, body: unknown, headers: Record<string, string> = TOKEN) =>
  fetch(`${s.url}/admin/configurations/${what}`, { method: 'PUT', headers, body: JSON.stringify(body) });
const summary = (s: RunningSimulator, q = '') =>
  fetch(`${s.url}/admin/payments-summary${q}`, { headers: TOKEN }).then(
    (r) => r.json() as Promise<{ totalRequests: number; totalAmount: number }>,
  );
const payment = (amount = 20.05, requestedAt = new Date().toISOString()) => ({
  correlationId: randomUUID(),
  amount,
  requestedAt,
});

for (const store of ['memory', 'postgres'] as const) {
  t.test(
    `${store} store: 200 records, 422 for a correlationId already recorded, 400 for a malformed body`,
    async (t) => {
      const s = await simWithStore(t, store, `sim_test_${process.pid}`);
      const p = payment(19.9);
      const first = await pay(s, p);
      t.equal(first.status, 200);
      t.same(await first.json(), { message: 'payment processed successfully' });
      t.equal((await pay(s, p)).status, 422, 'the same correlationId again: 422');
      for (const bad of [
        '{',
        '[]',
        { amount: 1, requestedAt: p.requestedAt },
        { correlationId: 'x', amount: 1, requestedAt: p.requestedAt },
        { correlationId: randomUUID(), amount: '1', requestedAt: p.requestedAt },
        { correlationId: randomUUID(), amount: 1, requestedAt: 'yesterday' },
      ]) {
        t.equal((await pay(s, bad)).status, 400, `malformed ${JSON.stringify(bad)}: 400`);
      }
      const found = await fetch(`${s.url}/payments/${p.correlationId}`);
      t.equal(found.status, 200);
      t.same(await found.json(), { correlationId: p.correlationId, amount: 19.9, requestedAt: p.requestedAt });
      t.equal((await fetch(`${s.url}/payments/${randomUUID()}`)).status, 404, 'unknown id: 404');
      await pay(s, payment(0.1));
      await pay(s, payment(0.2));
      t.same(
        await summary(s),
        { totalRequests: 3, totalAmount: 20.2, totalFee: 1.01, feePerTransaction: 0.05 },
        'exact sums and fee',
      );
      const purge = await fetch(`${s.url}/admin/purge-payments`, { method: 'POST', headers: TOKEN });
      t.same(await purge.json(), { message: 'All payments purged.' });
      t.equal((await summary(s)).totalRequests, 0, 'purged');
    },
  );
}

t.test('counts every payment call per correlationId, whatever it answered; purge starts the count anew', async (t) => {
  const s = await sim(t);
  const p = payment();
  const upper = { ...p, correlationId: p.correlationId.toUpperCase() };
  t.equal(s.callsFor(p.correlationId), 0, 'never called');
  t.equal((await pay(s, p)).status, 200);
  t.equal((await pay(s, upper)).status, 422, 'the same id in capitals is the same payment');
  await put(s, 'failure', { failure: true });
  t.equal((await pay(s, p)).status, 500);
  t.equal(s.callsFor(p.correlationId), 3, 'recorded, duplicate and failed calls all count');
  t.equal(s.callsFor(upper.correlationId), 3, 'looked up in any case');
  t.equal(s.callsFor(payment().correlationId), 0, 'another id: none');
  await fetch(`${s.url}/payments/${p.correlationId.toUpperCase()}`).then((r) => r.body?.cancel());
  t.same(
    s.touchesOf(p.correlationId).map((c) => c.split(' ')[0]),
    ['pay', 'pay', 'pay', 'lookup'],
    'every call about it, in order, look-ups too',
  );
  t.match(s.touchesOf(p.correlationId)[3], /^lookup .*127\.0\.0\.1$/, 'with who made it');
  await fetch(`${s.url}/admin/purge-payments`, { method: 'POST', headers: TOKEN });
  t.equal(s.callsFor(p.correlationId), 0, 'purged');
  t.same(s.touchesOf(p.correlationId), []);
});

t.test('the delay comes before the record, and a failure after the delay records nothing', async (t) => {
  const s = await sim(t);
  t.same(await (await put(s, 'delay', { delay: 300 })).json(), { config: 'delay', was: 0, is: 300 });
  const p = payment();
  const started = Date.now();
  const pending = pay(s, p);
  await new Promise((r) => setTimeout(r, 150));
  t.equal((await fetch(`${s.url}/payments/${p.correlationId}`)).status, 404, 'not visible during the delay');
  t.equal((await summary(s)).totalRequests, 0, 'not counted during the delay');
  t.equal((await pending).status, 200);
  t.ok(Date.now() - started >= 290, 'answered after the delay');
  t.equal((await fetch(`${s.url}/payments/${p.correlationId}`)).status, 200, 'visible after');

  t.same(await (await put(s, 'failure', { failure: true })).json(), { config: 'failure', was: false, is: true });
  const failStarted = Date.now();
  const failed = await pay(s, payment());
  t.equal(failed.status, 500, 'failing: 500');
  t.ok(Date.now() - failStarted >= 290, 'a failing processor still waits its delay first');
  t.equal((await summary(s)).totalRequests, 1, 'a failed payment is not recorded');
});

t.test('a client that hangs up during the delay does not stop the payment being recorded', async (t) => {
  const s = await sim(t);
  await put(s, 'delay', { delay: 200 });
  const p = payment();
  await fetch(`${s.url}/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(p),
    signal: AbortSignal.timeout(50),
  }).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  t.equal((await fetch(`${s.url}/payments/${p.correlationId}`)).status, 200, 'recorded all the same');
});

t.test('service-health: failing and delay, 503 while failing, 1 per window with a queue of 2, then 429', async (t) => {
  const s = await sim(t);
  await put(s, 'delay', { delay: 70 });
  const first = await fetch(`${s.url}/payments/service-health`);
  t.equal(first.status, 200);
  t.same(await first.json(), { failing: false, minResponseTime: 70 });
  const burst = await Promise.all([1, 2, 3].map(() => fetch(`${s.url}/payments/service-health`).then((r) => r.status)));
  t.same(burst.sort(), [200, 200, 429], 'two queue for later windows, the third is refused');
  await put(s, 'failure', { failure: true });
  await new Promise((r) => setTimeout(r, 350));
  const failing = await fetch(`${s.url}/payments/service-health`);
  t.equal(failing.status, 503, 'failing: 503');
  t.same(await failing.json(), { failing: true, minResponseTime: 70 });
  t.equal(s.stats.healthRejected, 1);
});

t.test('admin endpoints need the token; the token can be changed', async (t) => {
  const s = await sim(t);
  t.equal((await fetch(`${s.url}/admin/payments-summary`)).status, 401, 'no token: 401');
  t.equal(
    (await fetch(`${s.url}/admin/payments-summary`, { headers: { 'x-rinha-token': 'nope' } })).status,
    401,
    'wrong token: 401',
  );
  t.equal((await put(s, 'delay', { delay: 5 }, { 'x-rinha-token': 'nope' })).status, 401);
  t.equal((await put(s, 'token', { token: 'secret' })).status, 204, 'token changed');
  t.equal(
    (await fetch(`${s.url}/admin/payments-summary`, { headers: TOKEN })).status,
    401,
    'the old token no longer works',
  );
  t.equal(
    (await fetch(`${s.url}/admin/payments-summary`, { headers: { 'x-rinha-token': 'secret' } })).status,
    200,
    'the new one does',
  );
  t.equal(
    (await put(s, 'delay', { delay: 'soon' }, { 'x-rinha-token': 'secret', 'content-type': 'application/json' }))
      .status,
    404,
    'a bad configuration is refused',
  );
  t.equal((await fetch(`${s.url}/admin/nothing`, { headers: { 'x-rinha-token': 'secret' } })).status, 404);
  t.equal((await fetch(`${s.url}/unknown`)).status, 404);
});

t.test('summary: requestedAt BETWEEN from AND to, inclusive; a missing bound counts everything', async (t) => {
  const s = await sim(t, { fee: 0.15 });
  const at = (ms: number) => new Date(Date.UTC(2025, 6, 10, 12, 0, 0, ms)).toISOString();
  for (const ms of [0, 100, 200, 300]) await pay(s, payment(1, at(ms)));
  const q = (from: string, to: string) => `?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  t.equal((await summary(s, q(at(100), at(200)))).totalRequests, 2, 'both ends included');
  t.equal((await summary(s, q(at(101), at(199)))).totalRequests, 0);
  t.equal((await summary(s, `?from=${encodeURIComponent(at(250))}`)).totalRequests, 4, 'only from: everything');
  t.same(await summary(s, q(at(0), at(300))), {
    totalRequests: 4,
    totalAmount: 4,
    totalFee: 0.6,
    feePerTransaction: 0.15,
  });
  t.equal((await fetch(`${s.url}/admin/payments-summary?from=nope&to=nope`, { headers: TOKEN })).status, 400);
});

for (const store of ['memory', 'postgres'] as const) {
  t.test(`${store} store: late-payments lists what was stored over afterMs after its requestedAt`, async (t) => {
    const s = await simWithStore(t, store, `sim_late_test_${process.pid}`);
    const late = (q: string) =>
      fetch(`${s.url}/admin/late-payments${q}`, { headers: TOKEN }).then(
        async (r) => [r.status, r.status === 200 ? await r.json() : null] as const,
      );
    const old = new Date(Date.now() - 3000).toISOString();
    await pay(s, payment(1, old)); // stored about 3 s after its requestedAt
    await pay(s, payment(2)); // stored at once
    const [status, body] = await late('?afterMs=2000');
    t.equal(status, 200);
    const { payments, truncated } = body as { payments: [number, number][]; truncated: boolean };
    t.equal(payments.length, 1, 'only the payment stored late');
    t.equal(payments[0][0], Date.parse(old), 'its requestedAt');
    t.ok(payments[0][1] - payments[0][0] >= 3000 && payments[0][1] <= Date.now(), 'when it was stored');
    t.equal(truncated, false);
    const longer = (await late('?afterMs=4000'))[1] as { payments: unknown[] };
    t.equal(longer.payments.length, 0, 'none past a longer bound');
    t.equal((await late('?afterMs=-1'))[0], 400, 'a negative bound: 400');
    t.equal((await fetch(`${s.url}/admin/late-payments`)).status, 401, 'admin token required');
  });
}
