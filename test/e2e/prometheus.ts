// The dashboard and the alert rules, evaluated by a real Prometheus (Debian's package) scraping two
// running instances: promtool accepts the files, every panel's query returns data, no alert fires while
// all is well, and each alert fires in the condition it names.
import t, { type Test } from 'tap';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  eventually,
  freePort,
  namespace,
  newPayment,
  postPayment,
  sleep,
  startProcessors,
  startTestApp,
  steadyLoad,
  type Processors,
  type TestApp,
} from '../fixtures/pipeline';
import { fillUp, ownRedis, REDIS_SERVER, type RedisProcess } from '../fixtures/redis-servers';
import { answersHeldBack } from '../fixtures/tcp-relay';
import { lockPaymentsTable } from '../fixtures/postgres-lock';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const DASHBOARD = join(__dirname, '../../grafana/dashboard.json');
const RULES = join(__dirname, '../../grafana/alert-rules.yml');
const CONFIG = join(__dirname, '../../grafana/prometheus.yml');
const RULE_TESTS = join(__dirname, '../../grafana/alert-rules.test.yml');

const missing = [PROMETHEUS, PROMTOOL, REDIS_SERVER].filter((p) => !existsSync(p));
const skip = missing.length ? `needs ${missing.join(', ')} (apt-get install -y prometheus)` : false;

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Prometheus scraping `targets` every second, evaluating `rules` every second. */
async function startPrometheus(t: Test, targets: Record<string, string>, rules: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'rules.yml'), rules);
  const staticConfigs = Object.entries(targets)
    .map(([name, url]) => `      - targets: ['${new URL(url).host}']\n        labels: { instance: ${name} }`)
    .join('\n');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nrule_files: [rules.yml]\n` +
      `scrape_configs:\n  - job_name: rinha-actors\n    static_configs:\n${staticConfigs}\n`,
  );
  const port = await freePort();
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  t.teardown(() => child.kill('SIGKILL'));
  const url = `http://127.0.0.1:${port}`;
  const ready = await eventually(async () => (await fetch(`${url}/-/ready`).catch(() => null))?.ok === true, 20_000);
  if (!ready) throw new Error('prometheus did not become ready');
  return url;
}

async function query(prometheus: string, expr: string): Promise<Sample[]> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Sample[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data!.result;
}

async function firingAlerts(prometheus: string): Promise<Record<string, string>[]> {
  const res = await fetch(`${prometheus}/api/v1/alerts`);
  const body = (await res.json()) as { data: { alerts: { state: string; labels: Record<string, string> }[] } };
  return body.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels);
}

/** Waits until `alert` fires (with these labels among its own); false if it has not within `ms`. */
function fires(prometheus: string, alert: string, labels: Record<string, string> = {}, ms = 30_000) {
  return eventually(
    async () =>
      (await firingAlerts(prometheus)).some(
        (a) => a.alertname === alert && Object.entries(labels).every(([k, v]) => a[k] === v),
      ),
    ms,
    250,
  );
}

/** Waits until no alert fires; false if one still does after 30 s. */
function noneFiring(prometheus: string): Promise<boolean> {
  return eventually(async () => (await firingAlerts(prometheus)).length === 0, 30_000, 250);
}

/** Every query of every panel, as the dashboard writes it, for all instances. */
function panelQueries(): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: { title: string; targets: { expr: string; legendFormat: string }[] }[];
  };
  return dashboard.panels.flatMap((p) =>
    p.targets.map((q) => ({ panel: `${p.title}: ${q.legendFormat}`, expr: q.expr.replaceAll('$instance', '.+') })),
  );
}

interface Stack {
  processors: Processors;
  redis: RedisProcess;
  redisRelay: { hold(): void; release(): void };
  apps: Record<string, TestApp>;
  schema: string;
}

/** Two instances sharing their own Redis (capped at 256 MB, as a deployment caps it) and one schema. */
async function startStack(t: Test): Promise<Stack> {
  const processors = await startProcessors(t);
  const redis = await ownRedis(t);
  await redis.admin.config('SET', 'maxmemory', String(256 * 1024 * 1024));
  const redisRelay = await answersHeldBack(t, redis.port);
  const ns = namespace(t);
  const settings = {
    ...ns,
    redisUrl: redisRelay.url,
    defaultUrl: processors.url.default,
    fallbackUrl: processors.url.fallback,
  };
  const apps: Record<string, TestApp> = {};
  for (const instanceId of ['app1', 'app2']) apps[instanceId] = await startTestApp(t, { ...settings, instanceId });
  return { processors, redis, redisRelay, apps, schema: ns.databaseSchema };
}

/** Posts payments to every instance, `every` ms apart, until stopped; answers are not awaited one by one. */
function keepPosting(stack: Stack, every = 20): () => Promise<void> {
  let running = true;
  const sent: Promise<unknown>[] = [];
  const loop = (async () => {
    while (running) {
      for (const app of Object.values(stack.apps)) sent.push(postPayment(app.url, newPayment()).catch(() => null));
      await sleep(every);
    }
  })();
  return async () => {
    running = false;
    await loop;
    await Promise.all(sent);
  };
}

/** The rules as written, each `for` shortened to 1 s: the test shows each expression fires, not the waits. */
const rulesForTheTest = () => readFileSync(RULES, 'utf8').replace(/^(\s+for:) .+$/gm, '$1 1s');

t.test(
  'promtool accepts the alert rules and the scrape configuration, and their unit tests pass',
  { skip },
  async (t) => {
    const run = promisify(execFile);
    const rules = await run(PROMTOOL, ['check', 'rules', RULES]);
    t.match(rules.stdout, /SUCCESS: 5 rules found/);
    const config = await run(PROMTOOL, ['check', 'config', CONFIG]);
    t.match(config.stdout, /is valid prometheus config file syntax/);
    // Each alert over synthetic series with its real `for`: pending first, firing once it has lasted.
    const unit = await run(PROMTOOL, ['test', 'rules', RULE_TESTS]);
    t.match(unit.stdout, /SUCCESS/, 'grafana/alert-rules.test.yml');
  },
);

t.test('Prometheus evaluates every panel and every alert of a running pair of instances', { skip }, async (t) => {
  const stack = await startStack(t);
  const targets = Object.fromEntries(Object.entries(stack.apps).map(([name, app]) => [name, app.url]));
  const prometheus = await startPrometheus(t, targets, rulesForTheTest());
  t.ok(
    await eventually(async () => (await query(prometheus, 'up == 1')).length === 2, 20_000),
    'both instances scraped',
  );
  // Some traffic, so that every rate and every quantile has something to say.
  await steadyLoad(stack.apps.app1.url, 4000);
  await steadyLoad(stack.apps.app2.url, 2000);
  await sleep(2000);
  await panelsReturnData(t, prometheus);
  t.same(await firingAlerts(prometheus), [], 'no alert fires while all is well');
  await breakerOpens(t, prometheus, stack);
  await writersLag(t, prometheus, stack);
  await notDurable(t, prometheus, stack);
  await claimStoreCapped(t, prometheus, stack);
});

async function panelsReturnData(t: Test, prometheus: string): Promise<void> {
  for (const { panel, expr } of panelQueries()) {
    const result = await query(prometheus, expr);
    const values = result.map((s) => Number(s.value[1]));
    // NaN is a quantile of a histogram with nothing in the window (fallback, idle): a series, no figure.
    t.ok(values.length > 0 && values.some(Number.isFinite), `${panel}: ${values.slice(0, 4).join(', ')}`);
  }
}

async function breakerOpens(t: Test, prometheus: string, stack: Stack): Promise<void> {
  await stack.processors.setFailure('default', true);
  const stop = keepPosting(stack);
  t.ok(await fires(prometheus, 'RinhaBreakerOpen', { processor: 'default' }), 'default failing: its breaker alert');
  await stop();
  await stack.processors.setFailure('default', false);
  t.ok(await noneFiring(prometheus), 'and it stops once default answers again');
}

async function writersLag(t: Test, prometheus: string, stack: Stack): Promise<void> {
  // Reads go on, INSERTs wait: the look-ups pass and every writer waits on Postgres.
  const release = await lockPaymentsTable(t, stack.schema);
  const stop = keepPosting(stack, 200);
  const fired = await fires(prometheus, 'RinhaWritersLagging');
  await release();
  await stop();
  t.ok(fired, 'the payments table locked: the writers-lagging alert');
  t.ok(await noneFiring(prometheus), 'and it stops once the writers catch up');
}

async function notDurable(t: Test, prometheus: string, stack: Stack): Promise<void> {
  // Redis takes the commands and answers none of them for a while: claims wait, and the payments answered
  // meanwhile are not durable.
  stack.redisRelay.hold();
  const stop = keepPosting(stack, 100);
  const fired = await fires(prometheus, 'RinhaPaymentsNotDurable');
  stack.redisRelay.release();
  await stop();
  t.ok(fired, 'Redis answering nothing: the not-durable alert');
  t.ok(await noneFiring(prometheus), 'and it stops once Redis answers');
}

async function claimStoreCapped(t: Test, prometheus: string, stack: Stack): Promise<void> {
  await fillUp(stack.redis.admin);
  const stop = keepPosting(stack, 50);
  t.ok(await fires(prometheus, 'RinhaClaimStoreNearCap'), 'Redis at its cap: the near-cap alert');
  t.ok(await fires(prometheus, 'RinhaRefusingPayments'), 'and the refusing alert, as every claim fails');
  await stop();
  await stack.redis.admin.config('SET', 'maxmemory', String(256 * 1024 * 1024));
}
