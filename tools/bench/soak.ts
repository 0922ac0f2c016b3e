// The long run: the native stack under the compose file's limits (and its Redis cap, 20 MB,
// noeviction), fed fresh payments at the official peak for a long time, every part's memory
// sampled as it goes. It answers: does anything grow with the history?
//   - memory of each part every --sample seconds: each instance's RSS, Nginx's and Postgres'
//     proportional set size (shared pages split between their processes), Redis' used_memory
//     against its cap, and the payments table on disk (which grows by design: one row a payment);
//   - the slope of each over the last third of the run, in MB per hour;
//   - answers: p99 per minute, and the first ten minutes' against the last ten's (a third of the
//     run each when it is shorter than 30 minutes);
//   - at the end: lost (answered 202, not in our summary) and doubled (in the processors' totals
//     more than once), both to be 0;
//   - a chart of all of it: reports/soak/soak.html (and soak.json with every sample).
// The machine's Redis gets the compose cap for the run and its own setting back after; the
import { k6Percentile } from '../kit/percentile';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Pool, request } from 'undici';
import { CHART_CSS, lineChart, seriesOf } from '../kit/chart';
import { withNativeStacks, type SideStack } from './harness/native-stacks';
import { OFFICIAL_PEAK_PER_S, readOptions, type BenchOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import type { SimulatorProcess } from './harness/simulator-process';
import { childrenOf, pidsNamed } from '../launcher/cpu-counters';

/** The compose file's Redis cap (docker-compose.yml, `--maxmemory 20mb`). */
const REDIS_CAP = '20mb';

const OPTIONS = {
  minutes: { kind: 'number', default: 30, help: 'length of the run' },
  rate: { kind: 'number', default: OFFICIAL_PEAK_PER_S, help: 'fresh payments per second' },
  sample: { kind: 'number', default: 5, help: 'seconds between memory samples' },
  'no-limits': { kind: 'flag', help: 'run the stack without the compose limits' },
  out: { kind: 'string', default: join('reports', 'soak'), help: 'where soak.json and soak.html go' },
} as const;
type Options = BenchOptions<typeof OPTIONS>;

interface Sample {
  t: number;
  mb: Record<string, number>;
}

/** What the load saw: requests sent, answers by status, and each minute's latencies. */
interface Fed {
  sent: number;
  statuses: Record<string, number>;
  perMinute: number[][];
}

/** A process's memory in MB: its proportional set size (shared pages divided among sharers), else its RSS. */
function memoryMb(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) / 1024;
  } catch {
    try {
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    } catch {
      return 0;
    }
  }
}

/** Least-squares slope of y over t (seconds), in units per hour. */
function slopePerHour(points: { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.t - mt) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 3600;
}

/** The machine's Redis under the compose cap for the run; the returned function gives its settings back. */
async function capRedis(admin: Redis): Promise<() => Promise<void>> {
  const [, oldCap] = (await admin.config('GET', 'maxmemory')) as string[];
  const [, oldPolicy] = (await admin.config('GET', 'maxmemory-policy')) as string[];
  await admin.config('SET', 'maxmemory', REDIS_CAP);
  await admin.config('SET', 'maxmemory-policy', 'noeviction');
  return async () => {
    await admin.config('SET', 'maxmemory', oldCap);
    await admin.config('SET', 'maxmemory-policy', oldPolicy);
  };
}

/** Every part's memory, now. */
async function sampleMemory(s: SideStack, admin: Redis, pg: Client, started: number): Promise<Sample> {
  const mb: Record<string, number> = {};
  for (const i of s.stack.instances) if (i.pid) mb[i.name] = memoryMb(i.pid);
  const nginx = s.stack.nginxPid;
  if (nginx) mb.nginx = [nginx, ...childrenOf(nginx)].reduce((sum, p) => sum + memoryMb(p), 0);
  mb.postgres = pidsNamed('postgres').reduce((sum, p) => sum + memoryMb(p), 0);
  const info = await admin.info('memory');
  mb['redis used_memory'] = Number(/^used_memory:(\d+)/m.exec(info)?.[1]) / 2 ** 20;
  const size = await pg
    .query<{ b: string }>(`SELECT pg_total_relation_size('"${s.schema}".payments') AS b`)
    .catch(() => ({ rows: [{ b: '0' }] }));
  mb['payments table (disk)'] = Number(size.rows[0].b) / 2 ** 20;
  return { t: (Date.now() - started) / 1000, mb };
}

/** Fresh payments at `rate` per second for `minutes`, open loop; each answer timed into its minute. */
async function feed(url: string, o: Options, started: number): Promise<Fed> {
  const pool = new Pool(url, { connections: 256 });
  const fed: Fed = { sent: 0, statuses: {}, perMinute: [] };
  const inflight = new Set<Promise<void>>();
  const post = (minute: number) => {
    const t0 = performance.now();
    const body = JSON.stringify({ correlationId: randomUUID(), amount: 19.9 });
    const headers = { 'content-type': 'application/json' };
    const p: Promise<void> = pool
      .request({ method: 'POST', path: '/payments', headers, body })
      .then(
        async (res) => {
          await res.body.dump();
          fed.statuses[res.statusCode] = (fed.statuses[res.statusCode] ?? 0) + 1;
          (fed.perMinute[minute] ??= []).push(performance.now() - t0);
        },
        () => void (fed.statuses.error = (fed.statuses.error ?? 0) + 1),
      )
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      const elapsed = Date.now() - started;
      for (let due = Math.floor((elapsed / 1000) * o.rate) - fed.sent; due > 0; due--, fed.sent++)
        post(Math.floor(elapsed / 60_000));
      if (elapsed < o.minutes * 60_000) return;
      clearInterval(tick);
      done();
    }, 1);
  });
  await Promise.all(inflight);
  await pool.close();
  return fed;
}

/** Waits (up to 60 s) until our summary and the processors' both count every accepted payment. */
async function drain(stackUrl: string, simulators: SimulatorProcess, accepted: number) {
  const total = async (url: string, token = false) => {
    const res = await request(url, { headers: token ? { 'x-rinha-token': '123' } : {} });
    return (await res.body.json()) as Record<string, { totalRequests: number }> & { totalRequests: number };
  };
  let ours = 0;
  let theirs = 0;
  for (let waited = 0; waited < 60; waited++) {
    const s = await total(`${stackUrl}/payments-summary`);
    ours = s.default.totalRequests + s.fallback.totalRequests;
    const d = await total(`${simulators.urls.default}/admin/payments-summary`, true);
    const f = await total(`${simulators.urls.fallback}/admin/payments-summary`, true);
    theirs = d.totalRequests + f.totalRequests;
    if (ours >= accepted && theirs >= accepted) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { ours, theirs };
}

/** The answers' p99 of the first and last ten minutes (a third each, shorter runs), and per minute. */
function latencyFigures(o: Options, fed: Fed) {
  const p99s = fed.perMinute.map((xs) =>
    k6Percentile(
      xs.sort((a, b) => a - b),
      99,
    ),
  );
  const edge = Math.max(1, Math.min(10, Math.floor(o.minutes / 3)));
  const pooled = (from: number, to: number) =>
    k6Percentile(
      fed.perMinute
        .slice(from, to)
        .flat()
        .sort((a, b) => a - b),
      99,
    );
  const first = pooled(0, edge);
  const last = pooled(fed.perMinute.length - edge, fed.perMinute.length);
  return { p99FirstMs: first, p99LastMs: last, p99Ratio: last / first, edgeMinutes: edge, p99PerMinuteMs: p99s };
}

function memoryFigures(o: Options, samples: Sample[]) {
  const names = Object.keys(samples[0].mb);
  const lastThird = samples.filter((s) => s.t >= (o.minutes * 60 * 2) / 3);
  return {
    slopesMbPerHour: Object.fromEntries(
      names.map((n) => [n, slopePerHour(lastThird.map((s) => ({ t: s.t, y: s.mb[n] ?? NaN })))]),
    ),
    peakMb: Object.fromEntries(names.map((n) => [n, Math.max(...samples.map((s) => s.mb[n] ?? 0))])),
    endMb: samples[samples.length - 1].mb,
  };
}

type Result = ReturnType<typeof latencyFigures> & ReturnType<typeof memoryFigures> & Record<string, unknown>;

/** One chart of the page: x in seconds since the start. */
function chart(title: string, unit: string, xs: number[], columns: Record<string, number[]>): string {
  return lineChart(title, seriesOf(xs, columns), { xMax: Math.max(1, ...xs), yLabel: unit, stages: [] });
}

function chartPage(o: Options, r: Result, samples: Sample[]): string {
  const xs = samples.map((s) => s.t);
  const names = Object.keys(samples[0].mb);
  const services = names.filter((n) => n !== 'payments table (disk)');
  const p99s = r.p99PerMinuteMs;
  const memory = Object.fromEntries(services.map((n) => [n, samples.map((s) => s.mb[n] ?? NaN)]));
  return `<!doctype html><meta charset="utf-8"><title>soak</title><style>${CHART_CSS}</style>
<body style="font-family:sans-serif">
<h2>Soak: ${o.minutes} min at ${o.rate}/s${r.limits ? ', compose limits' : ''}, Redis capped at ${REDIS_CAP}</h2>
<p>accepted ${Number(r.accepted).toLocaleString('en')}, lost ${String(r.lost)}, doubled ${String(r.doubled)};
p99 first ${r.edgeMinutes} min ${r.p99FirstMs.toFixed(2)} ms, last ${r.edgeMinutes} min ${r.p99LastMs.toFixed(2)} ms
(x${r.p99Ratio.toFixed(2)})</p>
<p>slope over the last third, MB/h: ${names.map((n) => `${n} ${r.slopesMbPerHour[n].toFixed(2)}`).join('; ')}</p>
${chart('Memory of each part', 'MB', xs, memory)}
${chart('Payments table on disk (grows by design: one row a payment)', 'MB', xs, {
  table: samples.map((s) => s.mb['payments table (disk)']),
})}
${chart(
  'p99 of the answers, per minute',
  'ms',
  p99s.map((_, i) => (i + 1) * 60),
  { p99: p99s },
)}</body>`;
}

/** The run itself, on a stack already up: sample, feed, drain; the figures. */
async function soak(o: Options, s: SideStack, simulators: SimulatorProcess, admin: Redis, pg: Client) {
  const started = Date.now();
  const samples: Sample[] = [await sampleMemory(s, admin, pg, started)];
  const sampler = setInterval(
    () => void sampleMemory(s, admin, pg, started).then((x) => samples.push(x)),
    o.sample * 1000,
  );
  const fed = await feed(s.stack.url, o, started);
  clearInterval(sampler);
  samples.push(await sampleMemory(s, admin, pg, started));
  const accepted = fed.statuses['202'] ?? 0;
  const { ours, theirs } = await drain(s.stack.url, simulators, accepted);
  const usage = s.stack.usage();
  const result: Result = {
    minutes: o.minutes,
    rate: o.rate,
    limits: !o['no-limits'],
    posted: fed.sent,
    statuses: fed.statuses,
    accepted,
    recordedOurs: ours,
    recordedTheirs: theirs,
    lost: accepted - ours,
    doubled: theirs - ours,
    ...latencyFigures(o, fed),
    ...memoryFigures(o, samples),
    peakMemoryUnderLimitsMb: usage?.map((u) => [u.part, u.peakMemoryBytes / 2 ** 20, u.limit.memoryMb]),
  };
  return { result, samples };
}

runBench(async () => {
  const o = readOptions('The long run: memory of every part and the answers, at the official peak', OPTIONS);
  const report = new BenchReport('soak', o);
  mkdirSync(o.out, { recursive: true });
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const admin = new Redis(redisUrl);
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  const restoreRedis = await capRedis(admin);
  const sides = [{ name: 'stack', stack: { redisUrl, databaseUrl, composeLimits: !o['no-limits'] } }];
  try {
    const { result, samples } = await withNativeStacks(
      { bench: 'soak', basePort: 18301, sides, warmUsers: 0 },
      ([s], simulators) => soak(o, s, simulators, admin, pg),
    );
    writeFileSync(join(o.out, 'soak.json'), JSON.stringify({ result, samples }, null, 1));
    writeFileSync(join(o.out, 'soak.html'), chartPage(o, result, samples));
    report.figure('result', result);
    report.line(JSON.stringify({ ...result, p99PerMinuteMs: undefined }, null, 1));
    report.line(`chart: ${join(o.out, 'soak.html')}`);
  } finally {
    await restoreRedis();
    await pg.end();
    admin.disconnect();
  }
  report.finish();
});
