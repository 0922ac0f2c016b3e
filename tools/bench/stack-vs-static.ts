// The p99 of POST /payments through the whole stack, as a ratio to Nginx answering a
// static 202 under the same load in the same run (the target of the performance work:
// within 1.5x). Two stacks run side by side: the core in a worker thread (the default)
// and the core in the HTTP thread (CORE_THREAD=false), so the split is measured too; and
// the project's nginx.conf in front of two trivial upstreams that answer 202 at once: the
// floor of this shape (one more hop than static Nginx) whatever the instances do.
// All measured with the replay's VU pattern, alternating, twice.
// Run: npm run build && node dist/tools/bench/stack-vs-static.js [users=600] [seconds=10]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { vuPattern } from './load';
import { startSimulatorProcess } from './simulator-process';
import { startNginx, startStaticNginx, startTrivialUpstreams } from './trivial-upstreams';
import { nativeNginxConfig } from '../launcher/nginx-config';
import { startStack, type RunningStack } from '../launcher/stack';
import { k6Percentile, sortedCopy } from '../replay/percentile';

async function main(): Promise<void> {
  const users = Number(process.argv[2] ?? 600);
  const seconds = Number(process.argv[3] ?? 10);
  const dir = join(tmpdir(), `stack-vs-static-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const nginx = await startStaticNginx(dir, 19871);
  const simulators = await startSimulatorProcess({ default: 19881, fallback: 19882 });
  const trivialDir = join(dir, 'trivial');
  mkdirSync(trivialDir, { recursive: true });
  const trivial = await startTrivialUpstreams(trivialDir);
  const proxy = await startNginx(
    trivialDir,
    'proxy',
    nativeNginxConfig({ port: 19874, socketDir: trivialDir, errorLog: join(trivialDir, 'error.log') }),
  );
  const stacks: RunningStack[] = [];
  const stackOf = async (name: string, port: number, coreThread: boolean) => {
    const stack = await startStack({
      port,
      processorUrls: simulators.urls,
      redisPrefix: `bench:${process.pid}:${name}:`,
      databaseSchema: `bench_${process.pid}_${name}`,
      runDir: join(dir, name),
      output: 'ignore',
      log: () => undefined,
      appEnv: { LOG_LEVEL: 'warn', CORE_THREAD: String(coreThread) },
    });
    stacks.push(stack);
    return stack;
  };
  const rows: string[] = [];
  const best: Record<string, number> = {};
  try {
    const targets: [string, string][] = [
      ['static', 'http://127.0.0.1:19871'],
      ['proxy', 'http://127.0.0.1:19874'],
      ['stack', (await stackOf('thread', 19872, true)).url],
      ['inline', (await stackOf('inline', 19873, false)).url],
    ];
    for (const [, url] of targets.slice(1)) await vuPattern(url, Math.min(users, 100), 3); // warm-up
    for (let round = 1; round <= 2; round++) {
      for (const [name, url] of targets) {
        const d = sortedCopy(await vuPattern(url, users, seconds));
        const p99 = k6Percentile(d, 99);
        best[name] = Math.min(best[name] ?? Infinity, p99);
        rows.push(
          `round ${round}  ${name.padEnd(6)}  ${(d.length / seconds).toFixed(0).padStart(5)} req/s  p50 ` +
            `${k6Percentile(d, 50).toFixed(3)} ms  p99 ${p99.toFixed(3)} ms`,
        );
      }
    }
  } finally {
    await Promise.all(stacks.map((s) => s.stop()));
    simulators.stop();
    nginx.kill('SIGQUIT');
    proxy.kill('SIGQUIT');
    trivial.stop();
  }
  console.log(
    `${users} VUs posting then sleeping 1 s, ${seconds} s per run (native stacks, simulators in their own ` +
      `process, no CPU limits)`,
  );
  console.log(
    'static = Nginx answering 202 itself; proxy = nginx.conf in front of two trivial upstreams; stack = ours, ' +
      'core in a worker thread (default); inline = CORE_THREAD=false',
  );
  for (const r of rows) console.log(r);
  console.log(
    `best p99 / static nginx: stack ${(best.stack / best.static).toFixed(2)} (target <= 1.5), inline ` +
      `${(best.inline / best.static).toFixed(2)}, proxy to trivial upstreams ${(best.proxy / best.static).toFixed(2)}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
