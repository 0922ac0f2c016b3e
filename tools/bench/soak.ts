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
// stack uses a prefix and a schema of its own, removed after.
// Run: npm run build && node dist/tools/bench/soak.js [--minutes 30] [--rate 600] [--sample 5] [--no-limits]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Pool, request } from 'undici';
import { OFFICIAL_PEAK_PER_S } from './cli';
import { startSimulatorProcess } from './simulator-process';
import { childrenOf, pidsNamed } from '../launcher/cpu-counters';
import { startStack } from '../launcher/stack';

/** The compose file's Redis cap (docker-compose.yml, `--maxmemory 20mb`). */
const REDIS_CAP = '20mb';

interface Sample {
  t: number;
  mb: Record<string, number>;
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

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
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

/** One SVG line chart: a polyline per series, shared axes. */
function svgChart(title: string, unit: string, xs: number[], series: Record<string, number[]>): string {
  const W = 900;
  const H = 300;
  const pad = 50;
  const maxX = Math.max(...xs, 1);
  const maxY = Math.max(...Object.values(series).flat().filter(Number.isFinite), 1) * 1.1;
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];
  const x = (v: number) => pad + (v / maxX) * (W - 2 * pad);
  const y = (v: number) => H - pad + 0 - (v / maxY) * (H - 2 * pad);
  const lines = Object.entries(series).map(([name, ys], i) => {
    const pts = ys.map((v, k) => (Number.isFinite(v) ? `${x(xs[k]).toFixed(1)},${y(v).toFixed(1)}` : '')).join(' ');
    const c = colors[i % colors.length];
    return (
      `<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts}"/>` +
      `<text x="${W - pad + 5}" y="${pad + 14 * i}" fill="${c}" font-size="11">${name}</text>`
    );
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (f) =>
      `<text x="5" y="${y(maxY * f) + 4}" font-size="10">${(maxY * f).toFixed(1)}</text>` +
      `<text x="${x(maxX * f) - 10}" y="${H - pad + 15}" font-size="10">${((maxX * f) / 60).toFixed(0)} min</text>`,
  );
  return `<h3>${title}</h3><svg width="${W + 120}" height="${H}" style="font-family:sans-serif">
<rect x="${pad}" y="${pad}" width="${W - 2 * pad}" height="${H - 2 * pad}" fill="none" stroke="#ccc"/>
<text x="${pad}" y="${pad - 8}" font-size="11">${unit}</text>${ticks.join('')}${lines.join('')}</svg>`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      rate: { type: 'string' },
      sample: { type: 'string' },
      'no-limits': { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  const minutes = Number(values.minutes ?? 30);
  const rate = Number(values.rate ?? OFFICIAL_PEAK_PER_S);
  const sampleS = Number(values.sample ?? 5);
  const outDir = values.out ?? join('reports', 'soak');
  mkdirSync(outDir, { recursive: true });
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const prefix = `soak:${process.pid}:`;
  const schema = `soak_${process.pid}`;

  const admin = new Redis(redisUrl);
  const [, oldCap] = (await admin.config('GET', 'maxmemory')) as string[];
  const [, oldPolicy] = (await admin.config('GET', 'maxmemory-policy')) as string[];
  await admin.config('SET', 'maxmemory', REDIS_CAP);
  await admin.config('SET', 'maxmemory-policy', 'noeviction');
  const simulators = await startSimulatorProcess({ default: 18301, fallback: 18302 });
  const stackLog: string[] = [];
  const stack = await startStack({
    port: 18390,
    processorUrls: simulators.urls,
    redisUrl,
    databaseUrl,
    redisPrefix: prefix,
    databaseSchema: schema,
    runDir: join(tmpdir(), `soak-${process.pid}`),
    output: 'ignore',
    log: (l) => stackLog.push(l),
    appEnv: { LOG_LEVEL: 'warn' },
    composeLimits: !values['no-limits'],
  });
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  const statuses: Record<string, number> = {};
  const perMinute: number[][] = [];
  const samples: Sample[] = [];
  const started = Date.now();
  const pool = new Pool(stack.url, { connections: 256 });

  const sample = async () => {
    const mb: Record<string, number> = {};
    for (const i of stack.instances) if (i.pid) mb[i.name] = memoryMb(i.pid);
    if (stack.nginxPid) mb.nginx = [stack.nginxPid, ...childrenOf(stack.nginxPid)].reduce((s, p) => s + memoryMb(p), 0);
    mb.postgres = pidsNamed('postgres').reduce((s, p) => s + memoryMb(p), 0);
    const info = await admin.info('memory');
    mb['redis used_memory'] = Number(/^used_memory:(\d+)/m.exec(info)?.[1]) / 2 ** 20;
    const size = await pg
      .query<{ b: string }>(`SELECT pg_total_relation_size('"${schema}".payments') AS b`)
      .catch(() => ({ rows: [{ b: '0' }] }));
    mb['payments table (disk)'] = Number(size.rows[0].b) / 2 ** 20;
    samples.push({ t: (Date.now() - started) / 1000, mb });
  };
  await sample();
  const sampler = setInterval(() => void sample(), sampleS * 1000);

  let sent = 0;
  const inflight = new Set<Promise<void>>();
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      const elapsed = Date.now() - started;
      const due = Math.floor((elapsed / 1000) * rate) - sent;
      for (let k = 0; k < due; k++) {
        sent++;
        const minute = Math.floor(elapsed / 60_000);
        const t0 = performance.now();
        const p: Promise<void> = pool
          .request({
            method: 'POST',
            path: '/payments',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ correlationId: randomUUID(), amount: 19.9 }),
          })
          .then(
            async (res) => {
              await res.body.dump();
              statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
              (perMinute[minute] ??= []).push(performance.now() - t0);
            },
            () => void (statuses.error = (statuses.error ?? 0) + 1),
          )
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      if (elapsed >= minutes * 60_000) {
        clearInterval(tick);
        done();
      }
    }, 1);
  });
  await Promise.all(inflight);
  clearInterval(sampler);
  await sample();
  const accepted = statuses['202'] ?? 0;

  // Drain: our summary and the processors' settle once every accepted payment is recorded.
  // Each from its own origin (the pool above is bound to the stack's).
  const summaryOf = async (url: string, path: string, token = false) => {
    const res = await request(url + path, { headers: token ? { 'x-rinha-token': '123' } : {} });
    return (await res.body.json()) as Record<string, { totalRequests: number }>;
  };
  let ours = 0;
  let theirs = 0;
  for (let waited = 0; waited < 60; waited++) {
    const s = await summaryOf(stack.url, '/payments-summary');
    ours = s.default.totalRequests + s.fallback.totalRequests;
    const d = (await summaryOf(simulators.urls.default, '/admin/payments-summary', true)) as unknown as {
      totalRequests: number;
    };
    const f = (await summaryOf(simulators.urls.fallback, '/admin/payments-summary', true)) as unknown as {
      totalRequests: number;
    };
    theirs = d.totalRequests + f.totalRequests;
    if (ours >= accepted && theirs >= accepted) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const usage = stack.usage();
  await pool.close();
  await stack.stop();
  simulators.stop();
  await admin.config('SET', 'maxmemory', oldCap);
  await admin.config('SET', 'maxmemory-policy', oldPolicy);
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pg.end();
  admin.disconnect();

  // Figures.
  const p99s = perMinute.map((xs) =>
    percentile(
      xs.sort((a, b) => a - b),
      0.99,
    ),
  );
  const edge = Math.max(1, Math.min(10, Math.floor(minutes / 3)));
  const pooled = (from: number, to: number) =>
    percentile(
      perMinute
        .slice(from, to)
        .flat()
        .sort((a, b) => a - b),
      0.99,
    );
  const first = pooled(0, edge);
  const last = pooled(perMinute.length - edge, perMinute.length);
  const names = Object.keys(samples[0].mb);
  const lastThird = samples.filter((s) => s.t >= (minutes * 60 * 2) / 3);
  const slopes = Object.fromEntries(
    names.map((n) => [n, slopePerHour(lastThird.map((s) => ({ t: s.t, y: s.mb[n] ?? NaN })))]),
  );
  const result = {
    minutes,
    rate,
    limits: !values['no-limits'],
    posted: sent,
    statuses,
    accepted,
    recordedOurs: ours,
    recordedTheirs: theirs,
    lost: accepted - ours,
    doubled: theirs - ours,
    p99FirstMs: first,
    p99LastMs: last,
    p99Ratio: last / first,
    edgeMinutes: edge,
    slopesMbPerHour: slopes,
    peakMb: Object.fromEntries(names.map((n) => [n, Math.max(...samples.map((s) => s.mb[n] ?? 0))])),
    endMb: samples[samples.length - 1].mb,
    peakMemoryUnderLimitsMb: usage?.map((u) => [u.part, u.peakMemoryBytes / 2 ** 20, u.limit.memoryMb]),
    p99PerMinuteMs: p99s,
  };
  writeFileSync(join(outDir, 'soak.json'), JSON.stringify({ result, samples }, null, 1));
  const xs = samples.map((s) => s.t);
  const serviceNames = names.filter((n) => n !== 'payments table (disk)');
  const html = `<!doctype html><meta charset="utf-8"><title>soak</title><body style="font-family:sans-serif">
<h2>Soak: ${minutes} min at ${rate}/s${result.limits ? ', compose limits' : ''}, Redis capped at ${REDIS_CAP}</h2>
<p>accepted ${accepted.toLocaleString('en')}, lost ${result.lost}, doubled ${result.doubled};
p99 first ${edge} min ${first.toFixed(2)} ms, last ${edge} min ${last.toFixed(2)} ms
(x${result.p99Ratio.toFixed(2)})</p>
<p>slope over the last third, MB/h: ${names.map((n) => `${n} ${slopes[n].toFixed(2)}`).join('; ')}</p>
${svgChart(
  'Memory of each part',
  'MB',
  xs,
  Object.fromEntries(serviceNames.map((n) => [n, samples.map((s) => s.mb[n] ?? NaN)])),
)}
${svgChart('Payments table on disk (grows by design: one row a payment)', 'MB', xs, {
  table: samples.map((s) => s.mb['payments table (disk)']),
})}
${svgChart(
  'p99 of the answers, per minute',
  'ms',
  p99s.map((_, i) => (i + 1) * 60),
  { p99: p99s },
)}</body>`;
  writeFileSync(join(outDir, 'soak.html'), html);
  console.log(JSON.stringify({ ...result, p99PerMinuteMs: undefined }, null, 1));
  console.log(`chart: ${join(outDir, 'soak.html')}`);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
