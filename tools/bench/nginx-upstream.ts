// Nginx to the app instances over Unix sockets or over loopback TCP: the same two trivial
// uWS upstreams (202 at once) behind the project's nginx.conf, rendered both ways, and
// measured in the same run with the same open-loop load, alternating, plus a direct
// baseline without Nginx.
// Run: npm run build && node dist/tools/bench/nginx-upstream.js [rate=600] [seconds=8] [--json FILE]
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startNginx, startTrivialUpstreams } from './harness/baselines';
import { openLoop, type LoadResult } from './harness/load';
import { readOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import { renderNginxConfig, repoRoot } from '../launcher/nginx-config';

const OPTIONS = {
  rate: { kind: 'number', default: 600, help: 'requests per second (open loop)' },
  seconds: { kind: 'number', default: 8, help: 'seconds per run' },
} as const;

runBench(async () => {
  const { rate, seconds, ...o } = readOptions('Nginx to the instances over Unix sockets or TCP', OPTIONS, [
    'rate',
    'seconds',
  ]);
  const report = new BenchReport('nginx-upstream', { rate, seconds, ...o });
  const dir = join(tmpdir(), `nginx-upstream-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const upstreams = await startTrivialUpstreams(dir);
  const [p1, p2] = upstreams.ports;
  const template = readFileSync(join(repoRoot(), 'nginx.conf'), 'utf8');
  const unixConf = renderNginxConfig(template, { port: 19801, socketDir: dir, errorLog: join(dir, 'unix.log') });
  const tcpConf = renderNginxConfig(template, { port: 19802, socketDir: dir, errorLog: join(dir, 'tcp.log') })
    .replace(`server unix:${dir}/app1.sock `, `server 127.0.0.1:${p1} `)
    .replace(`server unix:${dir}/app2.sock `, `server 127.0.0.1:${p2} `);
  const servers = [await startNginx(dir, 'unix', unixConf), await startNginx(dir, 'tcp', tcpConf)];
  const body = () => JSON.stringify({ correlationId: '4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3', amount: 20.05 });
  const results: Record<string, LoadResult[]> = { direct: [], unix: [], tcp: [] };
  try {
    await openLoop('http://127.0.0.1:19801', '/payments', body, rate, 2); // warm-up
    for (let round = 0; round < 2; round++) {
      results.direct.push(await openLoop(`http://127.0.0.1:${p1}`, '/payments', body, rate, seconds));
      results.unix.push(await openLoop('http://127.0.0.1:19801', '/payments', body, rate, seconds));
      results.tcp.push(await openLoop('http://127.0.0.1:19802', '/payments', body, rate, seconds));
    }
  } finally {
    for (const s of servers) s.kill('SIGQUIT');
    upstreams.stop();
  }
  report.line(`open loop ${rate} req/s, ${seconds} s per run, 2 rounds alternating; ms`);
  for (const [name, runs] of Object.entries(results)) {
    report.line(
      `${name.padEnd(7)} ` +
        `${runs.map((r) => `p50 ${r.p50.toFixed(3)} p99 ${r.p99.toFixed(3)} err ${r.errors}`).join('   |   ')}`,
    );
  }
  const best = (k: string) => Math.min(...results[k].map((r) => r.p99));
  report.figure('runs', results);
  report.line(
    `best p99: unix/tcp = ${(best('unix') / best('tcp')).toFixed(2)}, unix/direct = ` +
      `${(best('unix') / best('direct')).toFixed(2)}`,
  );
  rmSync(dir, { recursive: true, force: true });
  report.finish();
});
