// A/B of app settings: two native stacks side by side, differing only in the environment given to
// their instances, under the replay's VU pattern, alternating A and B for several rounds so that the
// machine's noise falls on both. Prints each round and the median p99 of each side, with B / A.
// (The core in the HTTP thread against its own thread is `--b CORE_THREAD=false`.)
// Run: npm run build && node dist/tools/bench/env-ab.js --a K=V[,K=V] --b K=V[,K=V]
//   [--users 600] [--seconds 10] [--rounds 3] [--json FILE]
import { vuPattern } from './harness/load';
import { withNativeStacks } from './harness/native-stacks';
import { envPairs, readOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import { alternating, bySide, median } from './harness/stats';
import { k6Percentile, sortedCopy } from '../kit/percentile';

const OPTIONS = {
  a: { kind: 'list', help: "side A's settings, K=V[,K=V]" },
  b: { kind: 'list', help: "side B's settings, K=V[,K=V]" },
  users: { kind: 'number', default: 600, help: "virtual users of the replay's pattern" },
  seconds: { kind: 'number', default: 10, help: 'seconds per side per round' },
  rounds: { kind: 'number', default: 3, help: 'rounds, each side once per round' },
} as const;

runBench(async () => {
  const o = readOptions('Two sets of app settings, alternating under the same load', OPTIONS);
  const report = new BenchReport('env-ab', o);
  const sides = [
    { name: 'A', appEnv: envPairs(o.a) },
    { name: 'B', appEnv: envPairs(o.b) },
  ];
  const p99s = bySide<number>(['A', 'B']);
  report.line(`A: ${JSON.stringify(sides[0].appEnv)}  B: ${JSON.stringify(sides[1].appEnv)}`);
  report.line(
    `${o.users} VUs posting then sleeping 1 s, ${o.seconds} s per run, ${o.rounds} rounds ` +
      '(native stacks, no CPU limits)',
  );
  await withNativeStacks({ bench: 'env-ab', basePort: 19891, sides, warmUsers: o.users }, async (stacks) => {
    for (const { round, side } of alternating(stacks, o.rounds)) {
      const d = sortedCopy(await vuPattern(side.stack.url, o.users, o.seconds));
      const p99 = k6Percentile(d, 99);
      p99s[side.name].push(p99);
      report.line(
        `round ${round}  ${side.name}  ${(d.length / o.seconds).toFixed(0).padStart(5)} req/s  p50 ` +
          `${k6Percentile(d, 50).toFixed(3)} ms  p99 ${p99.toFixed(3)} ms`,
      );
    }
  });
  const [a, b] = [median(p99s.A), median(p99s.B)];
  report.figure('p99Ms', p99s);
  report.line(`median p99: A ${a.toFixed(3)} ms, B ${b.toFixed(3)} ms, B / A ${(b / a).toFixed(2)}`);
  report.finish();
});
