// How much the replay's own load generator adds to the latencies it reports: the same
// trivial server (uWS answering 202 at once, in a process of its own) measured by the
// replay's client and by wrk, in the same run, closed loop with the same number of
// connections; then the replay's real pattern (VUs posting then sleeping 1 s) at ~600 req/s;
// then the whole replay (runReplay: its ramp, consistency checks, progress line, stage
// changes on simulators) against the same server, which shows what the replay's own
// periodic work adds to the p99 it reports.
// Run: npm run build && node dist/tools/bench/replay-overhead.js [--replay-scale 0.3] [--json FILE]
//   (needs wrk: apt-get install -y wrk)
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { k6Percentile, sortedCopy } from '../kit/percentile';
import { TimedClient } from '../replay/timed-client';
import { runReplay } from '../replay/run';
import { Progress } from '../replay/progress';
import { START_SECONDS, vuPattern } from './harness/load';
import { readOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import { startSimulatorProcess, type SimulatorProcess } from './harness/simulator-process';

const SERVER = `
const uws = require(${JSON.stringify(require.resolve('@trufflesuite/uws-js-unofficial'))});
const zero = JSON.stringify({
  default: { totalRequests: 0, totalAmount: 0 },
  fallback: { totalRequests: 0, totalAmount: 0 },
});
uws.App()
  .post('/*', (res) => {
    res.onAborted(() => {});
    res.onData((c, last) => { if (last) res.cork(() => res.writeStatus('202 Accepted').end()); });
  })
  .get('/payments-summary', (res) => res.cork(() => res.end(zero)))
  .listen('127.0.0.1', 0, (s) => { console.log(uws.us_socket_local_port(s)); });`;

const body = JSON.stringify({ correlationId: '4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3', amount: 20.05 });

async function ours(url: string, connections: number, seconds: number): Promise<number[]> {
  const client = new TimedClient(() => Date.now(), connections);
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) await client.send('payment', `${url}/payments`, 'POST', 1500, body);
    }),
  );
  await client.close();
  return client.samples.filter((s) => s.ok).map((s) => s.ms);
}

function wrk(url: string, connections: number, seconds: number): { p50: number; p99: number; rate: number } {
  const script = join(tmpdir(), 'replay-overhead.lua');
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = '${body}'\nwrk.headers["Content-Type"] = "application/json"\n`,
  );
  const out = execFileSync(
    'wrk',
    ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, `${url}/payments`],
    { encoding: 'utf8' },
  );
  const ms = (label: string) => {
    const m = new RegExp(`^\\s+${label}\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    if (!m) throw new Error(`no ${label} in wrk output:\n${out}`);
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  return { p50: ms('50%'), p99: ms('99%'), rate: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN) };
}

const OPTIONS = {
  'replay-scale': { kind: 'number', default: 0.3, help: "the whole replay's scale, last part" },
} as const;

/** The replay's client beside wrk, closed loop, at 1, 10 and 50 connections. */
async function closedLoops(url: string, report: BenchReport): Promise<void> {
  const rows = [];
  for (const c of [1, 10, 50]) {
    const w = wrk(url, c, 5);
    const o = sortedCopy(await ours(url, c, 5));
    const p99 = k6Percentile(o, 99);
    rows.push([c, 'wrk', w.p50.toFixed(3), w.p99.toFixed(3), w.rate.toFixed(0), '']);
    rows.push([
      c,
      'ours',
      k6Percentile(o, 50).toFixed(3),
      p99.toFixed(3),
      (o.length / 5).toFixed(0),
      (p99 / w.p99).toFixed(2),
    ]);
  }
  const header = ['connections', 'tool', 'p50', 'p99', 'req/s', 'p99 ours/wrk'];
  report.table('trivial uWS server (202 at once), closed loop, 5 s each; latencies in ms', header, rows);
}

/** The whole replay against the trivial server: what its own periodic work adds to the p99 it reports. */
async function wholeReplay(url: string, scale: number, simulators: SimulatorProcess, patternP99: number) {
  // The server answers 202 to every POST and zeros to the summary (so its consistency checks fail,
  // which is not what this measures).
  const replay = await runReplay({
    backendUrl: url,
    processorUrls: simulators.urls,
    scale,
    maxVus: 600,
    outDir: join(tmpdir(), `replay-overhead-${process.pid}`),
    participant: 'bench',
    progress: new Progress({ write: () => true }, false),
  });
  const payments = replay.samples.filter((x) => x.kind === 'payment' && x.ok);
  const durationS = Math.max(...payments.map((x) => x.t));
  const whole = sortedCopy(payments.map((x) => x.ms));
  const lastFifth = sortedCopy(payments.filter((x) => x.t >= 0.8 * durationS).map((x) => x.ms));
  return (
    `whole replay, scale ${scale} with 600 VUs at the peak (${durationS.toFixed(0)} s, ${payments.length} ` +
    `payments): p99 ${k6Percentile(whole, 99).toFixed(3)} ms; ` +
    `its last fifth (480 to 600 VUs) p99 ${k6Percentile(lastFifth, 99).toFixed(3)} ms, ` +
    `${(k6Percentile(lastFifth, 99) / patternP99).toFixed(2)}x the pattern's above`
  );
}

runBench(async () => {
  const o = readOptions("What the replay's own load generator adds to the latencies it reports", OPTIONS);
  const report = new BenchReport('replay-overhead', o);
  const simulators = await startSimulatorProcess({ default: 19891, fallback: 19892 });
  const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) =>
    server.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await ours(url, 4, 2); // warm-up
    await closedLoops(url, report);
    const pattern = sortedCopy(await vuPattern(url, 600, 10));
    const patternP99 = k6Percentile(pattern, 99);
    report.line(
      `replay pattern, 600 VUs posting then sleeping 1 s for 10 s: ` +
        `${(pattern.length / (10 - START_SECONDS)).toFixed(0)} req/s (the first ${START_SECONDS} s left out), p50 ` +
        `${k6Percentile(pattern, 50).toFixed(3)} ms, p99 ${patternP99.toFixed(3)} ms`,
    );
    report.line(await wholeReplay(url, o['replay-scale'], simulators, patternP99));
  } finally {
    server.kill();
    simulators.stop();
  }
  report.finish();
});
