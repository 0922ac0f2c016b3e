// The whole system as `npm start` runs it: Nginx, two instances on Unix sockets and the
// simulators. Payments go through Nginx; the summary must equal both processors'.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../tools/launcher/nginx-config';
import { startStack, type StackOptions } from '../../tools/launcher/stack';
import { runSmokeCheck } from '../../tools/smoke/smoke-check';
import { compareSummaries } from '../../tools/smoke/summaries';
import { seriesOfAFreshInstance, seriesValues } from '../fixtures/fresh-metrics';
import { eventually, freePort, getSummary, namespace, newPayment, postPayment, sleep } from '../fixtures/pipeline';

const quiet: Partial<StackOptions> = { output: 'ignore', log: () => undefined, appEnv: { LOG_LEVEL: 'warn' } };
const EMPTY = { default: { totalRequests: 0, totalAmount: 0 }, fallback: { totalRequests: 0, totalAmount: 0 } };

/** Every series a fresh instance fills is there, and those of known labels at 0. */
async function freshInstancesAtZero(t: Test, url: string): Promise<void> {
  for (const name of ['app1', 'app2']) {
    const exposition = await fetch(`${url}/instances/${name}/metrics`).then((r) => r.text());
    const { atZero, present } = seriesOfAFreshInstance(name);
    for (const [series, value] of seriesValues(exposition, atZero)) t.equal(value, 0, `a fresh ${name}: ${series} 0`);
    for (const [series, value] of seriesValues(exposition, present)) t.type(value, 'number', `${name}: ${series}`);
  }
}

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

  await freshInstancesAtZero(t, stack.url);

  const statuses = await Promise.all(
    Array.from({ length: 200 }, (_, i) => postPayment(stack.url, newPayment(10 + i / 100)).then((r) => r.status)),
  );
  t.ok(
    statuses.every((s) => s === 202),
    'all 200 accepted through Nginx',
  );
  t.ok(await eventually(async () => (await getSummary(stack.url)).default.totalRequests === 200), 'all 200 recorded');
  await sleep(200);
  const window = { from: new Date(0), to: new Date(Date.now() + 60_000) };
  const { equal, detail } = await compareSummaries(stack.url, stack.processors, window.from, window.to);
  t.ok(equal, `our summary equals each processor's, to the cent: ${detail}`);
  const ours = await getSummary(stack.url);
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
  t.match(metrics, /payment_requests_total\{.*instance_id="app1"/, 'metrics of app1 through Nginx');
});

t.test('the smoke client passes against the stack and fails loudly where nothing answers', async (t) => {
  const stack = await startStack({
    port: await freePort(),
    simulatorPorts: { default: 0, fallback: 0 },
    ...namespace(t),
    runDir: '.run/e2e-smoke',
    ...quiet,
  });
  t.teardown(() => stack.stop());
  const steps = await runSmokeCheck({ url: stack.url, processors: stack.processors });
  t.same(
    steps.filter((s) => !s.ok),
    [],
    'every step passes',
  );
  t.same(
    steps.map((s) => s.name),
    [
      'health',
      'summary',
      'one payment',
      '20 payments at once',
      'amounts of several shapes',
      'bad input refused',
      'payments recorded in the summary',
      "summary equals the processors'",
    ],
  );
  t.match(
    steps[6].detail,
    /25 payments, 10062\.85 in all, to the cent/,
    'exactly what it posted: 20.05 + 20 x 1.xx + 1 + 0.01 + 19.90 + 9999.99',
  );
  t.same(
    await getSummary(stack.url),
    {
      default: { totalRequests: 25, totalAmount: 10062.85 },
      fallback: { totalRequests: 0, totalAmount: 0 },
    },
    'it purged nothing and posted only its own 25',
  );

  // As a user runs it: the command's exit status.
  const cli = join(repoRoot(), 'dist', 'tools', 'bin', 'check.js');
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) =>
      execFile(process.execPath, [cli, ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      ),
    );
  const passed = await run(['--url', stack.url]);
  t.equal(passed.code, 0, 'exit 0 when every step passes');
  t.match(passed.out, /every step passed/);
  const nothing = await run(['--url', `http://127.0.0.1:${await freePort()}`]);
  t.equal(nothing.code, 1, 'exit 1 when nothing answers');
  t.match(nothing.out, /FAIL {2}health: .*ECONNREFUSED/);
});

t.test('with ADMIN_TOKEN, purge, the actor tree and the per-instance routes need it; clients do not', async (t) => {
  const token = 'a-token-for-the-test';
  const stack = await startStack({
    port: await freePort(),
    simulatorPorts: { default: 0, fallback: 0 },
    ...namespace(t),
    runDir: '.run/e2e-admin',
    ...quiet,
    appEnv: { LOG_LEVEL: 'warn', ADMIN_TOKEN: token },
  });
  t.teardown(() => stack.stop());
  const withToken = { authorization: `Bearer ${token}` };
  // The last hour, the longest window open to anyone by default (SUMMARY_OPEN_WINDOW_MS).
  const lastHour = () => [new Date(Date.now() - 3_599_000).toISOString(), new Date().toISOString()] as const;
  const summary = () => getSummary(stack.url, ...lastHour());
  t.equal((await postPayment(stack.url, newPayment(12.34))).status, 202, 'POST /payments is open');
  t.ok(await eventually(async () => (await summary()).default.totalRequests === 1), 'the summary is open');
  const allTime = await fetch(`${stack.url}/payments-summary`);
  t.equal(allTime.status, 400, 'a summary of all time without the token: 400');
  t.match(await allTime.json(), { error: 'SUMMARY_WINDOW_TOO_LONG' });
  const allTimeWithToken = await fetch(`${stack.url}/payments-summary`, { headers: withToken });
  t.match(await allTimeWithToken.json(), { default: { totalRequests: 1 } }, 'with the token, through Nginx');
  t.equal((await fetch(`${stack.url}/health`)).status, 200, '/health is open');
  t.equal((await fetch(`${stack.url}/metrics`)).status, 200, '/metrics is open');
  for (const [method, path] of [
    ['POST', '/purge-payments'],
    ['GET', '/actors'],
    ['GET', '/instances/app1/metrics'],
    ['GET', '/instances/app2/health'],
    ['GET', '/instances/app2/actors'],
  ]) {
    const refused = await fetch(stack.url + path, { method });
    t.equal(refused.status, 401, `${method} ${path} without the token: 401`);
    t.match(await refused.json(), { error: 'UNAUTHORIZED' });
  }
  t.equal((await summary()).default.totalRequests, 1, 'the refused purge erased nothing');
  const tree = await fetch(`${stack.url}/instances/app2/actors`, { headers: withToken });
  t.equal(tree.status, 200, 'with the token, through Nginx');
  t.match(await tree.json(), { instance: 'app2' });
  t.equal((await fetch(`${stack.url}/purge-payments`, { method: 'POST', headers: withToken })).status, 200);
  t.same(await summary(), EMPTY, 'purged with the token');
});

t.test('a second start with its own simulators starts from an empty store, so totals agree', async (t) => {
  const ns = namespace(t);
  const options = { simulatorPorts: { default: 0, fallback: 0 }, ...ns, runDir: '.run/e2e-restart', ...quiet };
  const first = await startStack({ port: await freePort(), ...options });
  for (let i = 0; i < 3; i++) t.equal((await postPayment(first.url, newPayment(5))).status, 202);
  t.ok(
    await eventually(async () => (await getSummary(first.url)).default.totalRequests === 3),
    'first run: 3 recorded',
  );
  await first.stop();

  const lines: string[] = [];
  const second = await startStack({ port: await freePort(), ...options, log: (line) => lines.push(line) });
  t.teardown(() => second.stop());
  t.match(lines.join('\n'), /our store emptied/, 'it says so');
  t.equal((await postPayment(second.url, newPayment(7))).status, 202);
  t.ok(await eventually(async () => (await getSummary(second.url)).default.totalRequests === 1));
  const theirs = await fetch(`${second.processors.default}/admin/payments-summary`, {
    headers: { 'x-rinha-token': '123' },
  }).then((r) => r.json() as Promise<{ totalRequests: number; totalAmount: number }>);
  t.same(await getSummary(second.url), { default: { totalRequests: 1, totalAmount: 7 }, fallback: EMPTY.fallback });
  t.same([theirs.totalRequests, theirs.totalAmount], [1, 7], "equal to the new simulator's");
});

t.test('without Nginx, nothing starts and the message says what to run', async (t) => {
  const runDir = '.run/e2e-no-nginx';
  const lines: string[] = [];
  const simulatorPort = await freePort();
  await t.rejects(
    startStack({
      port: await freePort(),
      simulatorPorts: { default: simulatorPort, fallback: 0 },
      ...namespace(t),
      runDir,
      ...quiet,
      log: (line) => lines.push(line),
      nginxPaths: ['/nonexistent/sbin/nginx'],
      installNginx: false,
    }),
    /Nginx is not installed\. Install it \(as root: apt-get update && apt-get install -y nginx\)/,
  );
  t.same(lines, [], 'nothing was started nor said before the refusal');
  const dir = join(repoRoot(), runDir);
  t.same(existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sock')) : [], [], 'no instance was started');
  const bound = await fetch(`http://127.0.0.1:${simulatorPort}/payments/service-health`).then(
    () => true,
    () => false,
  );
  t.notOk(bound, 'no simulator was started');
});
