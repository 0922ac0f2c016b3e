// Where the tail comes from: the same native stack loaded with the replay's VU pattern
// through Nginx and straight to the two instances' Unix sockets (half the VUs each), and,
// as baselines, Nginx answering a static 202 and our nginx.conf in front of two trivial
// upstreams that answer 202 at once; all alternating, in the same run. For each run it prints
// p50, p99 and max, and whether the answers at or above the p99 came in bursts (sent less than
// 20 ms apart: something they all went through stalled) or one at a time. The ratio via Nginx /
// direct is the Nginx hop's share of the p99; direct is the instances' own; bursts in the
// baselines too mean the stalls are the machine's or the load generator's, not the stack's.
// Run: npm run build && node dist/tools/bench/tail.js
//   [--users 600] [--seconds 10] [--rounds 3] [--env K=V[,K=V]] [--limits]
// (--limits: each part under the compose file's CPU and memory limits, as in tools/bench/official.ts)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { envPairs, median } from './cli';
import { steadyAnswers, vuPatternSamples, type LoadTarget } from './load';
import { startSimulatorProcess } from './simulator-process';
import { startNginx, startStaticNginx, startTrivialUpstreams } from './trivial-upstreams';
import { nativeNginxConfig } from '../launcher/nginx-config';
import { startStack } from '../launcher/stack';
import { k6Percentile, sortedCopy } from '../replay/percentile';
import { slowBursts } from '../replay/slow-bursts';

const PATHS = ['static Nginx', 'trivial upstreams', 'via Nginx', 'direct'] as const;
type PathName = (typeof PATHS)[number];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      env: { type: 'string' },
      limits: { type: 'boolean' },
    },
  });
  const users = Number(values.users ?? 600);
  const seconds = Number(values.seconds ?? 10);
  const rounds = Number(values.rounds ?? 3);
  const limits = values.limits ?? false;
  const appEnv = { LOG_LEVEL: 'warn', ...envPairs((values.env ?? '').split(',').filter(Boolean)) };
  const dir = join(tmpdir(), `tail-${process.pid}`);
  const trivialDir = join(dir, 'trivial');
  mkdirSync(trivialDir, { recursive: true });
  const staticNginx = await startStaticNginx(dir, 19884);
  const trivial = await startTrivialUpstreams(trivialDir);
  const proxy = await startNginx(
    trivialDir,
    'proxy',
    nativeNginxConfig({ port: 19885, socketDir: trivialDir, errorLog: join(trivialDir, 'error.log') }),
  );
  const simulators = await startSimulatorProcess({ default: 19881, fallback: 19882 });
  const stack = await startStack({
    port: 19883,
    processorUrls: simulators.urls,
    redisPrefix: `bench:${process.pid}:tail:`,
    databaseSchema: `bench_${process.pid}_tail`,
    runDir: join(dir, 'stack'),
    output: 'ignore',
    log: () => undefined,
    appEnv,
    composeLimits: limits,
  });
  const paths: Record<PathName, LoadTarget[]> = {
    'static Nginx': [{ url: 'http://127.0.0.1:19884' }],
    'trivial upstreams': [{ url: 'http://127.0.0.1:19885' }],
    'via Nginx': [{ url: stack.url }],
    direct: stack.instances.map((i) => ({ socket: i.socket })),
  };
  const p99s = Object.fromEntries(PATHS.map((name) => [name, [] as number[]])) as Record<PathName, number[]>;
  const rows: string[] = [];
  try {
    await vuPatternSamples(paths['via Nginx'], users, 5); // warm-up at full load
    for (let round = 1; round <= rounds; round++) {
      // Each round starts one path later, so no path always follows the same one.
      const order = PATHS.map((_, i) => PATHS[(i + round - 1) % PATHS.length]);
      for (const name of order) {
        const answers = steadyAnswers(await vuPatternSamples(paths[name], users, seconds)).map((x) => ({
          sentAt: x.t * 1000,
          ms: x.ms,
        }));
        const d = sortedCopy(answers.map((a) => a.ms));
        const p99 = k6Percentile(d, 99);
        const b = slowBursts(answers, p99);
        p99s[name].push(p99);
        rows.push(
          `round ${round}  ${name.padEnd(17)}  p50 ${k6Percentile(d, 50).toFixed(3)}  p99 ${p99.toFixed(3)}  max ` +
            `${d[d.length - 1].toFixed(1)} ms;  ` +
            `${b.slow} slow answers in ${b.bursts} groups, largest ${b.largest}, ` +
            `${(100 * b.inBurstsOf3).toFixed(0)} % in bursts of 3 or more`,
        );
      }
    }
  } finally {
    await stack.stop();
    simulators.stop();
    staticNginx.kill('SIGQUIT');
    proxy.kill('SIGQUIT');
    trivial.stop();
  }
  console.log(
    `${users} VUs posting then sleeping 1 s, ${seconds} s per run, ${rounds} rounds; one native stack, ` +
      `${limits ? 'under the compose limits' : 'no CPU limits'}; env ${JSON.stringify(appEnv)}`,
  );
  console.log(
    'static Nginx = Nginx answering 202 itself; trivial upstreams = nginx.conf in front of two upstreams ' +
      "answering 202 at once; via Nginx = the stack; direct = the stack's instances without Nginx",
  );
  for (const r of rows) console.log(r);
  const m = Object.fromEntries(PATHS.map((name) => [name, median(p99s[name])])) as Record<PathName, number>;
  console.log(`median p99 (ms): ${PATHS.map((name) => `${name} ${m[name].toFixed(3)}`).join(', ')}`);
  console.log(
    `ratios: via Nginx / static Nginx ${(m['via Nginx'] / m['static Nginx']).toFixed(2)} (target <= 1.5), via ` +
      `Nginx / direct ${(m['via Nginx'] / m.direct).toFixed(2)}, trivial upstreams / static Nginx ` +
      `${(m['trivial upstreams'] / m['static Nginx']).toFixed(2)}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
