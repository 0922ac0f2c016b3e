// The whole system as `npm start` runs it: Nginx, two instances on Unix sockets and the
// simulators. Payments go through Nginx; the summary must equal both processors'.
import t from 'tap';
import { startStack } from '../../src/launcher/stack';
import { eventually, freePort, getSummary, namespace, newPayment, postPayment, sleep } from '../fixtures/pipeline';

t.test('payments through Nginx reach both instances and the summary equals the processors', async (t) => {
  const ns = namespace(t);
  const stack = await startStack({
    port: await freePort(),
    simulatorPorts: { default: 0, fallback: 0 },
    ...ns,
    runDir: '.run/e2e-stack',
    output: 'ignore',
    log: () => undefined,
    appEnv: { LOG_LEVEL: 'warn' },
  });
  t.teardown(() => stack.stop());
  const admin = (url: string) =>
    fetch(`${url}/admin/payments-summary`, { headers: { 'x-rinha-token': '123' } }).then(
      (r) => r.json() as Promise<{ totalRequests: number; totalAmount: number }>,
    );

  const statuses = await Promise.all(
    Array.from({ length: 200 }, (_, i) => postPayment(stack.url, newPayment(10 + i / 100)).then((r) => r.status)),
  );
  t.ok(
    statuses.every((s) => s === 202),
    'all 200 accepted through Nginx',
  );
  t.ok(await eventually(async () => (await getSummary(stack.url)).default.totalRequests === 200), 'all 200 recorded');
  await sleep(200);
  const [ours, d, f] = await Promise.all([
    getSummary(stack.url),
    admin(stack.processors.default),
    admin(stack.processors.fallback),
  ]);
  t.same(ours.default, { totalRequests: d.totalRequests, totalAmount: d.totalAmount }, 'default matches its processor');
  t.same(
    ours.fallback,
    { totalRequests: f.totalRequests, totalAmount: f.totalAmount },
    'fallback matches its processor',
  );
  t.equal(ours.default.totalAmount, 2199, 'exact total');

  const perInstance = await Promise.all(
    ['app1', 'app2'].map((name) =>
      fetch(`${stack.url}/instances/${name}/actors`).then(
        (r) => r.json() as Promise<{ instance: string; supervisor: { accepted: number } }>,
      ),
    ),
  );
  t.same(
    perInstance.map((i) => i.instance),
    ['app1', 'app2'],
    'each instance is reachable by name through Nginx',
  );
  t.ok(
    perInstance.every((i) => i.supervisor.accepted > 0),
    `Nginx spread the payments over both (${perInstance.map((i) => i.supervisor.accepted).join(' / ')})`,
  );
  const metrics = await fetch(`${stack.url}/instances/app1/metrics`).then((r) => r.text());
  t.match(metrics, /payment_requests_total\{.*instance="app1"/, 'metrics of app1 through Nginx');
});
