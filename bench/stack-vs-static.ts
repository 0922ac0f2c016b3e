// The p99 of POST /payments through the whole stack, as a ratio to Nginx answering a
// static 202 under the same load in the same run (the target of the performance work:
// within 1.5x). Both measured with the replay's VU pattern, alternating, twice.
// Run: npm run build && node dist/bench/stack-vs-static.js [users=600] [seconds=10]
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { vuPattern } from './load';
import { startStack } from '../src/launcher/stack';
import { k6Percentile, sortedCopy } from '../src/replay/percentile';

const STATIC_CONF = (port: number, dir: string) => `
worker_processes 1;
error_log ${dir}/static-error.log warn;
events { worker_connections 8192; use epoll; multi_accept on; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen ${port} backlog=4096 reuseport;
    location / { return 202; }
  }
}`;

async function main(): Promise<void> {
  const users = Number(process.argv[2] ?? 600);
  const seconds = Number(process.argv[3] ?? 10);
  const dir = join(tmpdir(), `stack-vs-static-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'static.conf'), STATIC_CONF(19871, dir));
  const nginx = spawn('/usr/sbin/nginx', ['-p', dir, '-c', join(dir, 'static.conf'), '-g', `daemon off; pid ${dir}/static.pid;`], { stdio: 'inherit' });
  const stack = await startStack({ port: 19872, simulatorPorts: { default: 0, fallback: 0 }, redisPrefix: `bench:${process.pid}:`, databaseSchema: `bench_${process.pid}`, runDir: join(dir, 'run'), output: 'ignore', log: () => undefined, appEnv: { LOG_LEVEL: 'warn' } });
  const rows: string[] = [];
  const best: Record<string, number> = { static: Infinity, stack: Infinity };
  try {
    await vuPattern('http://127.0.0.1:19872', Math.min(users, 100), 3); // warm-up
    for (let round = 1; round <= 2; round++) {
      for (const [name, url] of [['static', 'http://127.0.0.1:19871'], ['stack', stack.url]] as const) {
        const d = sortedCopy(await vuPattern(url, users, seconds));
        const p99 = k6Percentile(d, 99);
        best[name] = Math.min(best[name], p99);
        rows.push(`round ${round}  ${name.padEnd(6)}  ${(d.length / seconds).toFixed(0).padStart(5)} req/s  p50 ${k6Percentile(d, 50).toFixed(3)} ms  p99 ${p99.toFixed(3)} ms`);
      }
    }
  } finally {
    await stack.stop();
    nginx.kill('SIGQUIT');
  }
  console.log(`${users} VUs posting then sleeping 1 s, ${seconds} s per run (native stack, simulators, no CPU limits)`);
  for (const r of rows) console.log(r);
  console.log(`best p99: stack / static nginx = ${(best.stack / best.static).toFixed(2)}  (target <= 1.5)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
