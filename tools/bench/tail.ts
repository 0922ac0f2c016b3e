// Where the tail comes from, against the baselines, in one run: the native stack loaded with the
// replay's VU pattern through Nginx and straight to its two instances' Unix sockets (half the VUs
// each), Nginx answering a static 202, and our nginx.conf in front of two trivial upstreams that
// answer 202 at once (the shape's floor); all alternating. Per run: p50, p99, max, and whether the
// answers at or above the p99 came in bursts (sent less than 20 ms apart: something they all went
// through stalled) or one at a time. via Nginx / static Nginx is the performance target (<= 1.5);
// via Nginx / direct is the Nginx hop's share; bursts in the baselines too mean the stalls are the
// machine's or the load generator's. (The core in the HTTP thread: env-ab.js --b CORE_THREAD=false.)
// Run: npm run build && node dist/tools/bench/tail.js
//   [--users 600] [--seconds 10] [--rounds 3] [--env K=V[,K=V]] [--limits] [--json FILE]
// (--limits: each part under the compose file's CPU and memory limits, as in tools/bench/official.ts)
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBaselines } from './harness/baselines';
import { steadyAnswers, vuPatternSamples, type LoadTarget } from './harness/load';
import { withNativeStacks } from './harness/native-stacks';
import { envPairs, readOptions, type BenchOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import { alternating, bySide, median } from './harness/stats';
import { k6Percentile, sortedCopy } from '../kit/percentile';
import { slowBursts } from '../replay/slow-bursts';

const OPTIONS = {
  users: { kind: 'number', default: 600, help: "virtual users of the replay's pattern" },
  seconds: { kind: 'number', default: 10, help: 'seconds per path per round' },
  rounds: { kind: 'number', default: 3, help: 'rounds, each path once per round' },
  env: { kind: 'list', help: "the stack's instances' settings, K=V[,K=V]" },
  limits: { kind: 'flag', help: 'each part of the stack under the compose limits' },
} as const;

const PATHS = ['static Nginx', 'trivial upstreams', 'via Nginx', 'direct'] as const;

/** One path's run: its figures line, and its p99. */
async function run(o: BenchOptions<typeof OPTIONS>, targets: LoadTarget[]): Promise<{ text: string; p99: number }> {
  const answers = steadyAnswers(await vuPatternSamples(targets, o.users, o.seconds)).map((x) => ({
    sentAt: x.t * 1000,
    ms: x.ms,
  }));
  const d = sortedCopy(answers.map((a) => a.ms));
  const p99 = k6Percentile(d, 99);
  const b = slowBursts(answers, p99);
  const text =
    `p50 ${k6Percentile(d, 50).toFixed(3)}  p99 ${p99.toFixed(3)}  max ${d[d.length - 1].toFixed(1)} ms;  ` +
    `${b.slow} slow answers in ${b.bursts} groups, largest ${b.largest}, ` +
    `${(100 * b.inBurstsOf3).toFixed(0)} % in bursts of 3 or more`;
  return { text, p99 };
}

function printRatios(p99s: Record<string, number[]>, report: BenchReport): void {
  const m = Object.fromEntries(PATHS.map((name) => [name, median(p99s[name])]));
  report.figure('p99Ms', p99s);
  report.line(`median p99 (ms): ${PATHS.map((name) => `${name} ${m[name].toFixed(3)}`).join(', ')}`);
  report.line(
    `ratios: via Nginx / static Nginx ${(m['via Nginx'] / m['static Nginx']).toFixed(2)} (target <= 1.5), via ` +
      `Nginx / direct ${(m['via Nginx'] / m.direct).toFixed(2)}, trivial upstreams / static Nginx ` +
      `${(m['trivial upstreams'] / m['static Nginx']).toFixed(2)}`,
  );
}

runBench(async () => {
  const o = readOptions('The p99 through the stack, straight to it, and against the baselines', OPTIONS);
  const report = new BenchReport('tail', o);
  const appEnv = envPairs(o.env);
  const p99s = bySide<number>(PATHS);
  report.line(
    `${o.users} VUs posting then sleeping 1 s, ${o.seconds} s per run, ${o.rounds} rounds; one native stack, ` +
      `${o.limits ? 'under the compose limits' : 'no CPU limits'}; env ${JSON.stringify(appEnv)}`,
  );
  report.line(
    'static Nginx = Nginx answering 202 itself; trivial upstreams = nginx.conf in front of two upstreams ' +
      "answering 202 at once; via Nginx = the stack; direct = the stack's instances without Nginx",
  );
  const baselines = await startBaselines(join(tmpdir(), `tail-${process.pid}`), 19884);
  const sides = [{ name: 'stack', appEnv, stack: { composeLimits: o.limits } }];
  try {
    await withNativeStacks({ bench: 'tail', basePort: 19881, sides, warmUsers: o.users }, async ([{ stack }]) => {
      const targets: Record<string, LoadTarget[]> = {
        'static Nginx': [{ url: baselines.staticUrl }],
        'trivial upstreams': [{ url: baselines.floorUrl }],
        'via Nginx': [{ url: stack.url }],
        direct: stack.instances.map((i) => ({ socket: i.socket })),
      };
      for (const { round, side } of alternating(PATHS, o.rounds)) {
        const r = await run(o, targets[side]);
        p99s[side].push(r.p99);
        report.line(`round ${round}  ${side.padEnd(17)}  ${r.text}`);
      }
    });
  } finally {
    baselines.stop();
  }
  printRatios(p99s, report);
  report.finish();
});
