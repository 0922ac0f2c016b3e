// More than two instances: four behind one Nginx (`npm start -- --instances 4`), sharing one
// Redis and one Postgres, against simulators with the processors' real 5 s health limit.
import t from 'tap';
import { startStack } from '../../tools/launcher/stack';
import {
  assertMatchesProcessors,
  eventually,
  freePort,
  namespace,
  newPayment,
  postPayment,
  recordedIds,
  recordedTotal,
  sleep,
  startProcessors,
  summariesAgree,
} from '../fixtures/pipeline';

/**
 * Posts `count` payments, `concurrency` at a time, each client pausing `pauseMs` after each; returns those
 * answered 202. `answeredAt` gets the time each 202 arrived.
 */
async function post(
  url: string,
  count: number,
  concurrency = 20,
  pauseMs = 0,
  answeredAt = new Map<string, number>(),
): Promise<string[]> {
  const accepted: string[] = [];
  let left = count;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const p = newPayment(12.34);
        const { status } = await postPayment(url, p).catch(() => ({ status: 0 }));
        if (status === 202) {
          accepted.push(p.correlationId);
          answeredAt.set(p.correlationId, Date.now());
        }
        if (pauseMs > 0) await sleep(pauseMs);
      }
    }),
  );
  return accepted;
}

t.test('four instances: load spread, one health check per 5 s for all, summaries equal while busy', async (t) => {
  const processors = await startProcessors(t, { healthWindowMs: 5000 });
  const ns = namespace(t);
  const startedAt = Date.now();
  const stack = await startStack({
    port: await freePort(),
    instances: 4,
    processorUrls: processors.url,
    ...ns,
    runDir: '.run/e2e-cluster-1',
    output: 'ignore',
    log: () => undefined,
    appEnv: { LOG_LEVEL: 'warn' },
  });
  t.teardown(() => stack.stop());
  t.same(
    stack.instances.map((i) => i.name),
    ['app1', 'app2', 'app3', 'app4'],
  );

  // Load in the background for the whole test (about 300 payments a second: busy, not past what this machine
  // carries), so that the summaries below are taken while every instance has payments on their way.
  let loading = true;
  const accepted: string[] = [];
  const load = (async () => {
    while (loading) accepted.push(...(await post(stack.url, 40, 8, 25)));
  })();
  await sleep(3000);
  for (let round = 0; round < 3; round++) {
    // A window that closed 300 ms ago: every payment in it has been answered by its processor.
    const to = new Date(Date.now() - 300).toISOString();
    const { ours, theirs, equal } = await summariesAgree(stack.url, processors, new Date(startedAt).toISOString(), to);
    t.ok(equal, `round ${round + 1}, under load: ours ${JSON.stringify(ours)}, theirs ${JSON.stringify(theirs)}`);
    await sleep(2000);
  }
  loading = false;
  await load;

  const perInstance = await Promise.all(
    stack.instances.map((i) =>
      fetch(`${stack.url}/instances/${i.name}/actors`).then(
        (r) => r.json() as Promise<{ instance: string; supervisor: { accepted: number } }>,
      ),
    ),
  );
  t.ok(
    perInstance.every((i) => i.supervisor.accepted > 0),
    `Nginx spread them over all four (${perInstance.map((i) => `${i.instance} ${i.supervisor.accepted}`).join(', ')})`,
  );
  t.ok(await eventually(async () => (await recordedTotal(stack.url)) === accepted.length), 'every payment recorded');
  await assertMatchesProcessors(t, stack.url, processors, ns.databaseSchema, accepted.slice(-50));

  const seconds = (Date.now() - startedAt) / 1000;
  for (const p of ['default', 'fallback'] as const) {
    const { healthChecks, healthRejected } = processors.stats(p);
    // One check per 5 s window for the four together (a window may open at each end of the run).
    t.ok(healthChecks <= Math.ceil(seconds / 5) + 1, `${p}: ${healthChecks} health checks in ${seconds.toFixed(0)} s`);
    t.equal(healthRejected, 0, `${p}: no health check refused (429)`);
  }
});

t.test('two of four instances killed at once under load: the others finish every accepted payment', async (t) => {
  const processors = await startProcessors(t, { healthWindowMs: 5000 });
  await processors.setDelay('default', 300); // payments are in the processor's hands when the kill comes
  const ns = namespace(t);
  const stack = await startStack({
    port: await freePort(),
    instances: 4,
    processorUrls: processors.url,
    ...ns,
    runDir: '.run/e2e-cluster-2',
    output: 'ignore',
    log: () => undefined,
    appEnv: { LOG_LEVEL: 'warn', HEARTBEAT_MS: '300' },
  });
  t.teardown(() => stack.stop());

  const answeredAt = new Map<string, number>();
  // About 300 payments a second (as in the first test): under load, not past what this machine carries, where the
  // core threads would fall behind their HTTP threads and the window below would grow (docs/promises.md, Durable).
  const before = post(stack.url, 300, 8, 25, answeredAt);
  await sleep(1000);
  const killedAt = Date.now();
  for (const victim of stack.instances.slice(0, 2)) process.kill(victim.pid!, 'SIGKILL');
  const accepted = [...(await before), ...(await post(stack.url, 100, 8, 25, answeredAt))];
  t.ok(accepted.length >= 100, `${accepted.length} payments accepted, some while two instances died`);
  // The documented window: an instance writes what it answered 202 to Redis in its next event-loop turn, so a
  // kill can lose only payments answered in the instant before it. Every other one must be recorded.
  const lost = async () => {
    const recorded = await recordedIds(ns.databaseSchema, accepted);
    return accepted.filter((id) => !recorded.has(id));
  };
  await eventually(async () => (await lost()).every((id) => killedAt - answeredAt.get(id)! < 50), 30_000);
  const missing = await lost();
  t.same(
    missing.filter((id) => killedAt - answeredAt.get(id)! >= 50),
    [],
    `every payment answered more than 50 ms before the kill is recorded (${missing.length} answered in the ` +
      `instant before it are not: ${missing.map((id) => `${killedAt - answeredAt.get(id)!} ms`).join(', ')})`,
  );
  // Each recorded payment at exactly one processor, as our store says, and the summaries equal.
  await assertMatchesProcessors(
    t,
    stack.url,
    processors,
    ns.databaseSchema,
    accepted.filter((id) => !missing.includes(id)),
  );
});

t.test('an instance that hangs (SIGSTOP): the others answer summaries in time and finish its payments', async (t) => {
  const processors = await startProcessors(t, { healthWindowMs: 5000 });
  const ns = namespace(t);
  const barrierMs = 500;
  const stack = await startStack({
    port: await freePort(),
    instances: 4,
    processorUrls: processors.url,
    ...ns,
    runDir: '.run/e2e-cluster-3',
    output: 'ignore',
    log: () => undefined,
    appEnv: { LOG_LEVEL: 'warn', HEARTBEAT_MS: '300', SUMMARY_BARRIER_MS: String(barrierMs) },
  });
  const hung = stack.instances[0];
  t.teardown(async () => {
    process.kill(hung.pid!, 'SIGCONT');
    await stack.stop();
  });
  // Payments in every instance's hands: the processor takes 1.5 s to answer.
  await processors.setDelay('default', 1500);
  const accepted = await post(stack.url, 80, 20);
  t.equal(accepted.length, 80);
  await sleep(300);
  process.kill(hung.pid!, 'SIGSTOP');
  // Asked of a live instance by name (Nginx would also send some requests to the hung one, where they wait).
  const other = `${stack.url}/instances/${stack.instances[1].name}`;
  const started = Date.now();
  const summary = await fetch(`${other}/payments-summary`);
  const waited = Date.now() - started;
  t.equal(summary.status, 200);
  t.ok(waited < barrierMs + 2000, `answered in ${waited} ms, though one of the four never acknowledges`);
  t.ok(
    await eventually(async () => (await recordedTotal(other)) === 80, 30_000),
    `the hung instance's payments claimed and finished by the others (${await recordedTotal(other)} of 80)`,
  );
  // It wakes up: what it still held was taken over, and nothing is recorded twice.
  process.kill(hung.pid!, 'SIGCONT');
  await sleep(3000);
  await assertMatchesProcessors(t, other, processors, ns.databaseSchema, accepted);
});
