// Where the tail comes from: the same native stack loaded with the replay's VU pattern
// through Nginx and straight to the two instances' Unix sockets (half the VUs each),
// alternating, in the same run. For each run it prints p50, p99 and max, and whether the
// answers at or above the p99 came in bursts (sent less than 20 ms apart: something they
// all went through stalled) or one at a time. The ratio via Nginx / direct is the Nginx hop's
// share of the p99; direct is the instances' own.
// Run: npm run build && node dist/bench/tail.js [--users 600] [--seconds 10] [--rounds 3] [--env K=V[,K=V]] [--limits]
// (--limits: each part under the compose file's CPU and memory limits, as in bench/official.ts)
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { envPairs, median } from './cli';
import { vuPatternTimed, type LoadTarget } from './load';
import { startSimulatorProcess } from './simulator-process';
import { startStack } from '../src/launcher/stack';
import { k6Percentile, sortedCopy } from '../src/replay/percentile';
import { slowBursts } from '../src/replay/slow-bursts';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { users: { type: 'string' }, seconds: { type: 'string' }, rounds: { type: 'string' }, env: { type: 'string' }, limits: { type: 'boolean' } } });
  const users = Number(values.users ?? 600);
  const seconds = Number(values.seconds ?? 10);
  const rounds = Number(values.rounds ?? 3);
  const limits = values.limits ?? false;
  const appEnv = { LOG_LEVEL: 'warn', ...envPairs((values.env ?? '').split(',').filter(Boolean)) };
  const simulators = await startSimulatorProcess({ default: 19881, fallback: 19882 });
  const stack = await startStack({ port: 19883, processorUrls: simulators.urls, redisPrefix: `bench:${process.pid}:tail:`, databaseSchema: `bench_${process.pid}_tail`, runDir: join(tmpdir(), `tail-${process.pid}`), output: 'ignore', log: () => undefined, appEnv, composeLimits: limits });
  const paths: Record<string, LoadTarget[]> = { 'via Nginx': [{ url: stack.url }], direct: stack.instances.map((i) => ({ socket: i.socket })) };
  const p99s: Record<string, number[]> = { 'via Nginx': [], direct: [] };
  const rows: string[] = [];
  try {
    await vuPatternTimed(paths['via Nginx'], users, 5); // warm-up at full load
    for (let round = 1; round <= rounds; round++) {
      for (const name of round % 2 === 1 ? ['via Nginx', 'direct'] : ['direct', 'via Nginx']) {
        const answers = await vuPatternTimed(paths[name], users, seconds);
        const d = sortedCopy(answers.map((a) => a.ms));
        const p99 = k6Percentile(d, 99);
        const b = slowBursts(answers, p99);
        p99s[name].push(p99);
        rows.push(
          `round ${round}  ${name.padEnd(9)}  p50 ${k6Percentile(d, 50).toFixed(3)}  p99 ${p99.toFixed(3)}  max ${d[d.length - 1].toFixed(1)} ms;  ` +
            `${b.slow} slow answers in ${b.bursts} groups, largest ${b.largest}, ${(100 * b.inBurstsOf3).toFixed(0)} % in bursts of 3 or more`,
        );
      }
    }
  } finally {
    await stack.stop();
    simulators.stop();
  }
  console.log(`${users} VUs posting then sleeping 1 s, ${seconds} s per run, ${rounds} rounds; one native stack, ${limits ? 'under the compose limits' : 'no CPU limits'}; env ${JSON.stringify(appEnv)}`);
  for (const r of rows) console.log(r);
  const nginx = median(p99s['via Nginx']);
  const direct = median(p99s.direct);
  console.log(`median p99: via Nginx ${nginx.toFixed(3)} ms, direct ${direct.toFixed(3)} ms, via Nginx / direct ${(nginx / direct).toFixed(2)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
