// What a long history costs: the payments table filled with 1 M and 10 M rows (spread at the
// official peak, 600 a second, so 10 M rows are 4.6 hours of it), then, at each size:
//   - GET /payments-summary's query for windows of 1 s, 10 s, 1 min, 10 min and 1 h ending at the
//     newest row, and without bounds (what the contract's unbounded summary costs);
//   - the look-up every claimed batch goes through (`recordedAmong`, 10 ids, half of them recorded);
//   - the dedupe rebuild after Redis lost its data: loading the window's ids (DEDUPE_WINDOW_MS,
//     default 120 s) from the table into Redis, timed from the first query to the last write.
// Each figure is the median and 99th percentile of --runs runs (the rebuild: median and range).
// The rows go into a schema of their own, dropped at the end (--keep to keep it).
// Run: npm run build && node dist/tools/bench/history.js [--sizes 1000000,10000000] [--runs 200] [--keep]
//        [--json FILE]
import { k6Percentile } from '../kit/percentile';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { OFFICIAL_PEAK_PER_S, readOptions, type BenchOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import { median } from './harness/stats';
import { loadConfig, type Config } from '../../src/shared/config';
import { PendingPayments } from '../../src/store/pending-payments';
import { PaymentsTable } from '../../src/store/payments-table';

const WINDOWS: [string, number][] = [
  ['1 s', 1_000],
  ['10 s', 10_000],
  ['1 min', 60_000],
  ['10 min', 600_000],
  ['1 h', 3_600_000],
];

const label = (rows: number) => `${rows.toLocaleString('en').padStart(10)} rows  `;

async function timed(runs: number, task: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  await task(); // warm the cache and the plan once
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await task();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: k6Percentile(ms, 50), p99: k6Percentile(ms, 99) };
}

/**
 * Grows the table to `rows`, one row per 1/600 s, amounts of 19.90. An empty table ends at the present;
 * a larger size continues after the newest row, so the density stays the official peak's throughout.
 */
async function fill(pg: Client, table: string, rows: number, report: BenchReport): Promise<void> {
  const { rows: have } = await pg.query<{ n: string; newest: Date | null }>(
    `SELECT count(*) AS n, max(requested_at) AS newest FROM ${table}`,
  );
  const from = Number(have[0].n);
  if (from >= rows) return;
  const stepMs = 1000 / OFFICIAL_PEAK_PER_S;
  // Row k is requested at start + k steps.
  const start = have[0].newest ? have[0].newest.getTime() - (from - 1) * stepMs : Date.now() - rows * stepMs;
  const started = Date.now();
  const chunk = 1_000_000;
  for (let i = from; i < rows; i += chunk) {
    const n = Math.min(chunk, rows - i);
    await pg.query(
      `INSERT INTO ${table} (correlation_id, processor, amount_cents, requested_at)
       SELECT gen_random_uuid(), CASE WHEN k % 4 = 0 THEN 'fallback' ELSE 'default' END, 1990,
              to_timestamp(($1::float8 + k * $2::float8) / 1000)
       FROM generate_series($3::bigint, $4::bigint) AS k`,
      [start, stepMs, i, i + n - 1],
    );
  }
  await pg.query(`VACUUM ANALYZE ${table}`);
  report.line(`filled to ${rows.toLocaleString('en')} rows in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

const OPTIONS = {
  sizes: { kind: 'string', default: '1000000,10000000', help: 'table sizes in rows, comma-separated' },
  runs: { kind: 'number', default: 200, help: 'runs of each query' },
  keep: { kind: 'flag', help: 'keep the filled schema (bench_history) afterwards' },
} as const;

/** What every measurement at one size shares. */
interface AtSize {
  o: BenchOptions<typeof OPTIONS>;
  config: Config;
  table: PaymentsTable;
  pg: Client;
  qualified: string;
  rows: number;
  /** The newest row's time: every window ends there. */
  end: number;
  report: BenchReport;
}

function timedLine(s: AtSize, what: string, r: { p50: number; p99: number }, extra = ''): void {
  s.report.line(`${label(s.rows)}${what.padEnd(28)} p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms${extra}`);
  s.report.figure(`${s.rows} ${what}`, r);
}

async function summaries(s: AtSize): Promise<void> {
  for (const [name, ms] of WINDOWS) {
    const window = { from: new Date(s.end - ms), to: new Date(s.end) };
    const r = await timed(s.o.runs, () => s.table.summary(window));
    const counted = await s.table.summary(window);
    const inIt = (counted.default.totalRequests + counted.fallback.totalRequests).toLocaleString('en');
    timedLine(s, `summary, window ${name}`, r, `  (${inIt} rows in it)`);
  }
  timedLine(
    s,
    'summary, no bounds',
    await timed(Math.min(s.o.runs, 10), () => s.table.summary({ from: null, to: null })),
  );
}

/** The look-up every claimed batch goes through: 10 ids, half of them recorded. */
async function lookups(s: AtSize): Promise<void> {
  const { rows: sample } = await s.pg.query<{ id: string }>(
    `SELECT correlation_id AS id FROM ${s.qualified} TABLESAMPLE SYSTEM (0.1) LIMIT 1000`,
  );
  let k = 0;
  const ids = () => {
    k = (k + 5) % (sample.length - 5);
    return [...sample.slice(k, k + 5).map((r) => r.id), ...Array.from({ length: 5 }, () => randomUUID())];
  };
  timedLine(s, 'claim look-up, 10 ids', await timed(s.o.runs, () => s.table.recordedAmong(ids())));
}

/** The rebuild: the window's ids (with the 1.25 margin the core uses) into a scratch prefix, five times. */
async function rebuilds(s: AtSize, redis: Redis): Promise<void> {
  const times: number[] = [];
  let ids = 0;
  for (let i = 0; i < 5; i++) {
    const prefix = `bench:history:${process.pid}:${s.rows}:${i}:`;
    const pending = new PendingPayments(redis, prefix, 'bench', s.config.dedupeWindowMs);
    const t0 = performance.now();
    ids = 0;
    for await (const chunk of s.table.recordedSince(new Date(s.end - s.config.dedupeWindowMs * 1.25))) {
      await pending.remember(chunk);
      ids += chunk.length;
    }
    times.push(performance.now() - t0);
    await pending.purge();
  }
  times.sort((a, b) => a - b);
  s.report.line(
    `${label(s.rows)}dedupe rebuild (${ids.toLocaleString('en')} ids of the window)  ` +
      `median ${median(times).toFixed(0)} ms (${times[0].toFixed(0)}-${times[4].toFixed(0)})`,
  );
  s.report.figure(`${s.rows} dedupe rebuild`, { ids, ms: times });
}

async function onDisk(s: AtSize): Promise<void> {
  const { rows: size } = await s.pg.query<{ table: string; index: string }>(
    `SELECT pg_size_pretty(pg_table_size('${s.qualified}')) AS table,
            pg_size_pretty(pg_indexes_size('${s.qualified}')) AS index`,
  );
  s.report.line(`${label(s.rows)}on disk: table ${size[0].table}, indexes ${size[0].index}`);
}

runBench(async () => {
  const o = readOptions('What a long history costs: summaries, look-ups and the dedupe rebuild', OPTIONS);
  const report = new BenchReport('history', o);
  const config = loadConfig();
  const schema = 'bench_history';
  const table = PaymentsTable.connect(config.databaseUrl, schema, 2);
  await table.migrate();
  const pg = new Client({ connectionString: config.databaseUrl });
  await pg.connect();
  const qualified = `"${schema}".payments`;
  const redis = new Redis(config.redisUrl);
  try {
    for (const rows of o.sizes.split(',').map(Number)) {
      await fill(pg, qualified, rows, report);
      const { rows: newest } = await pg.query<{ t: Date }>(`SELECT max(requested_at) AS t FROM ${qualified}`);
      const s: AtSize = { o, config, table, pg, qualified, rows, end: newest[0].t.getTime(), report };
      await summaries(s);
      await lookups(s);
      await rebuilds(s, redis);
      await onDisk(s);
    }
  } finally {
    if (!o.keep) await pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pg.end();
    await table.close();
    redis.disconnect();
  }
  report.finish();
});
