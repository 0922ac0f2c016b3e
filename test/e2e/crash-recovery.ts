// An instance killed with SIGKILL loses nothing it answered 2xx: another instance
// claims its pending payments from Redis once its heartbeat expires, and payments it
// had already sent are sent again to the same processor with the same requestedAt,
// so each is recorded exactly once. Runs the built app (dist/) as a child process.
import t from 'tap';
import { existsSync } from 'node:fs';
import { childEnv, MAIN, startChild } from '../fixtures/child-instance';
import {
  eventually,
  getSummary,
  namespace,
  newPayment,
  postPayment,
  recordedTotal,
  assertMatchesProcessors,
  sleep,
  startProcessors,
  startTestApp,
} from '../fixtures/pipeline';

t.test('built app present', async (t) => {
  t.ok(existsSync(MAIN), `${MAIN} exists (npm test builds it first)`);
});

t.test('payments waiting in a killed instance are completed by another', async (t) => {
  const processors = await startProcessors(t);
  await processors.setFailure('default', true);
  await processors.setFailure('fallback', true);
  const ns = namespace(t);
  const { child, url } = await startChild(t, childEnv('doomed-a', ns, processors));
  const payments = Array.from({ length: 40 }, () => newPayment(2.5));
  for (const p of payments) t.equal((await postPayment(url, p)).status, 202);
  await sleep(300);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));

  const survivor = await startTestApp(t, {
    ...ns,
    instanceId: 'survivor-b',
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
  });
  await processors.setFailure('default', false);
  await processors.setFailure('fallback', false);
  t.ok(
    await eventually(async () => (await recordedTotal(survivor.url)) === payments.length, 20_000),
    'all 40 payments answered by the dead instance were recorded',
  );
  await sleep(500);
  const ours = await assertMatchesProcessors(
    t,
    survivor.url,
    processors,
    ns.databaseSchema,
    payments.map((p) => p.correlationId),
  );
  t.equal(ours.default.totalRequests + ours.fallback.totalRequests, 40, 'none counted twice');
});

t.test("payments in a processor's hands when their instance died are recorded exactly once", async (t) => {
  const processors = await startProcessors(t);
  await processors.setDelay('default', 1000);
  const ns = namespace(t);
  const { child, url } = await startChild(t, childEnv('doomed-c', ns, processors));
  const payments = Array.from({ length: 30 }, () => newPayment(1.25));
  for (const p of payments) await postPayment(url, p);
  await sleep(400);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  await processors.setDelay('default', 0);

  const survivor = await startTestApp(t, {
    ...ns,
    instanceId: 'survivor-d',
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
  });
  t.ok(
    await eventually(async () => (await recordedTotal(survivor.url)) === payments.length, 20_000),
    'all 30 recorded in our store',
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
    survivor.url,
    processors,
    ns.databaseSchema,
    payments.map((p) => p.correlationId),
  );
});

t.test('SIGTERM: the instance stops accepting, flushes, and hands over what it still holds at once', async (t) => {
  const processors = await startProcessors(t);
  await processors.setFailure('default', true);
  await processors.setFailure('fallback', true);
  const ns = namespace(t);
  // A heartbeat of 10 min: a hand-over that waited for it to expire (3 beats) would take half an hour, so
  // completing at all within the wait below shows the leaver handed over. How long the hand-over takes is
  // a figure for a benchmark, not something to assert here.
  const { child, url } = await startChild(t, childEnv('leaving-e', ns, processors, { HEARTBEAT_MS: '600000' }));
  const payments = Array.from({ length: 20 }, () => newPayment(4.4));
  for (const p of payments) t.equal((await postPayment(url, p)).status, 202);
  const survivor = await startTestApp(t, {
    ...ns,
    instanceId: 'survivor-f',
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exits cleanly');
  await processors.setFailure('default', false);
  t.ok(
    await eventually(async () => (await getSummary(survivor.url)).default.totalRequests === payments.length, 30_000),
    "the survivor completed all 20, without waiting for the leaver's heartbeat to expire",
  );
  await assertMatchesProcessors(
    t,
    survivor.url,
    processors,
    ns.databaseSchema,
    payments.map((p) => p.correlationId),
  );
});
