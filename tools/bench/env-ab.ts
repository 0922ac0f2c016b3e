// A/B of app settings: two native stacks side by side, differing only in the environment
// given to their instances, under the replay's VU pattern, alternating A and B for several
// rounds so that the machine's noise falls on both. Prints each round and the median p99
// of each side, with B / A.
// Run: npm run build && node dist/tools/bench/env-ab.js --a K=V[,K=V] --b K=V[,K=V]
//   [--users 600] [--seconds 10] [--rounds 3]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { envPairs, median } from './cli';
import { vuPattern } from './load';
import { startSimulatorProcess } from './simulator-process';
import { startStack, type RunningStack } from '../launcher/stack';
import { k6Percentile, sortedCopy } from '../replay/percentile';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      a: { type: 'string' },
      b: { type: 'string' },
      users: { type: 'string' },
      seconds: { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  const sides = {
    A: envPairs((values.a ?? '').split(',').filter(Boolean)),
    B: envPairs((values.b ?? '').split(',').filter(Boolean)),
  };
  const users = Number(values.users ?? 600);
  const seconds = Number(values.seconds ?? 10);
  const rounds = Number(values.rounds ?? 3);
  const dir = join(tmpdir(), `env-ab-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const simulators = await startSimulatorProcess({ default: 19891, fallback: 19892 });
  const stacks: RunningStack[] = [];
  const p99s: Record<'A' | 'B', number[]> = { A: [], B: [] };
  const rows: string[] = [];
  try {
    const urls: Record<'A' | 'B', string> = { A: '', B: '' };
    for (const [i, side] of (['A', 'B'] as const).entries()) {
      const name = side.toLowerCase();
      const stack = await startStack({
        port: 19893 + i,
        processorUrls: simulators.urls,
        redisPrefix: `bench:${process.pid}:${name}:`,
        databaseSchema: `bench_${process.pid}_${name}`,
        runDir: join(dir, name),
        output: 'ignore',
        log: () => undefined,
        appEnv: { LOG_LEVEL: 'warn', ...sides[side] },
      });
      stacks.push(stack);
      urls[side] = stack.url;
      await vuPattern(stack.url, users, 5); // warm-up at full load: the first runs of a stack are slower
    }
    for (let round = 1; round <= rounds; round++) {
      // Alternate which side goes first, so neither always follows the other.
      for (const side of round % 2 === 1 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
        const d = sortedCopy(await vuPattern(urls[side], users, seconds));
        const p99 = k6Percentile(d, 99);
        p99s[side].push(p99);
        rows.push(
          `round ${round}  ${side}  ${(d.length / seconds).toFixed(0).padStart(5)} req/s  p50 ` +
            `${k6Percentile(d, 50).toFixed(3)} ms  p99 ${p99.toFixed(3)} ms`,
        );
      }
    }
  } finally {
    await Promise.all(stacks.map((s) => s.stop()));
    simulators.stop();
  }
  console.log(`A: ${JSON.stringify(sides.A)}  B: ${JSON.stringify(sides.B)}`);
  console.log(
    `${users} VUs posting then sleeping 1 s, ${seconds} s per run, ${rounds} rounds (native stacks, no CPU limits)`,
  );
  for (const r of rows) console.log(r);
  const a = median(p99s.A);
  const b = median(p99s.B);
  console.log(`median p99: A ${a.toFixed(3)} ms, B ${b.toFixed(3)} ms, B / A ${(b / a).toFixed(2)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
