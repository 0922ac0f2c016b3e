// The official scenario, replayed against the native stack under the compose file's CPU
// and memory limits, with everything issue 8 asks of it in one print-out:
//   - the replay's score figures (p99, inconsistencies, lag, default / fallback),
//   - the default share against the oracle that knew every stage change in advance,
//   - p99 as a ratio to Nginx answering a static 202 under the replay's peak load, same run,
//     and to our nginx.conf in front of two upstreams that do nothing (the shape's floor),
//   - CPU and peak memory of every part (from its control groups).
// The simulators run in a process of their own (outside the limits, as the official
// processors run outside the participant's containers).
// Run: npm run build && node dist/tools/bench/official.js [--scale 1] [--no-limits] [--env KEY=VALUE ...]
//        [--out DIR] [--json FILE]
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBaselines } from './harness/baselines';
import { vuPattern } from './harness/load';
import { withNativeStacks } from './harness/native-stacks';
import { envPairs, readOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import { median } from './harness/stats';
import { usageTable } from '../launcher/resource-limits';
import type { RunningStack } from '../launcher/stack';
import { k6Percentile, sortedCopy } from '../kit/percentile';
import { runReplay } from '../replay/run';
import { OFFICIAL, scaledScenario, type Scenario } from '../replay/scenario';

const OPTIONS = {
  scale: { kind: 'number', default: 1, help: "the official scenario's length times this" },
  'no-limits': { kind: 'flag', help: 'run the stack without the compose limits' },
  out: { kind: 'string', default: join('reports', 'official'), help: "where the replay's report goes" },
  env: { kind: 'list', help: 'KEY=VALUE: any app setting, to compare variants' },
} as const;

type Replay = Awaited<ReturnType<typeof runReplay>>;
const PATHS = ['static', 'trivial', 'stack'] as const;

/** Throttled periods of the instances, sampled every second, to see in which stage one ran out of quota. */
function sampleThrottling(stack: RunningStack) {
  const started = Date.now();
  const appThrottled = () =>
    (stack.usage() ?? []).filter((p) => p.part.startsWith('app')).reduce((n, p) => n + p.throttledPeriods, 0);
  // The first sample is taken now: start-up and warm-up throttling, before any traffic, is not counted.
  const samples: { t: number; app: number }[] = [{ t: 0, app: appThrottled() }];
  const timer = setInterval(() => samples.push({ t: (Date.now() - started) / 1000, app: appThrottled() }), 1000);
  return {
    stop: () => clearInterval(timer),
    at: (t: number) => [...samples].reverse().find((s) => s.t <= t)?.app ?? 0,
  };
}

/**
 * The baselines, under the replay's peak of users, alternating with the stack under the very same
 * pattern, twice (medians; one 20 s run of each varied twofold between runs): Nginx answering a static
 * 202 (the target's reference), and our nginx.conf in front of two upstreams that answer 202 at once.
 */
async function patternP99s(stack: RunningStack, scenario: Scenario, scale: number): Promise<Record<string, number>> {
  const baselines = await startBaselines(join(tmpdir(), `official-${process.pid}`), 18291);
  try {
    const seconds = Math.max(10, Math.round(15 * scale));
    const urls = { static: baselines.staticUrl, trivial: baselines.floorUrl, stack: stack.url };
    const runs: Record<string, number[]> = { static: [], trivial: [], stack: [] };
    for (let round = 0; round < 2; round++)
      for (const name of PATHS)
        runs[name].push(k6Percentile(sortedCopy(await vuPattern(urls[name], scenario.maxVus, seconds)), 99));
    return Object.fromEntries(PATHS.map((name) => [name, median(runs[name])]));
  } finally {
    baselines.stop();
  }
}

function printScore(replay: Replay, scenario: Scenario, pattern: Record<string, number>, report: BenchReport) {
  const r = replay.results;
  const p99 = Number.parseFloat(r.p99.valor);
  report.line(
    `p99 ${r.p99.valor} (bonus ${r.p99.bonus}); inconsistencies ${r.multa.composicao.num_inconsistencias}; lag ` +
      `${r.lag.lag}; failed POSTs ${r.pagamentos_solicitados.qtd_falha}`,
  );
  report.line(
    `default ${r.pagamentos_realizados_default.num_pagamentos}, fallback ` +
      `${r.pagamentos_realizados_fallback.num_pagamentos}; total_liquido ${r.total_liquido}`,
  );
  report.line(
    `default share ${(100 * replay.defaultShare).toFixed(1)} % vs oracle ` +
      `${(100 * replay.oracleDefaultShare).toFixed(1)} %: ` +
      `${((100 * replay.defaultShare) / replay.oracleDefaultShare).toFixed(1)} % of the oracle (target >= 99 %)`,
  );
  report.line(
    `the replay's peak pattern (${scenario.maxVus} VUs), median p99 of 2 runs each: static Nginx ` +
      `${pattern.static.toFixed(3)} ms, nginx.conf over trivial upstreams ${pattern.trivial.toFixed(3)} ms, ` +
      `the stack ${pattern.stack.toFixed(3)} ms; stack / static ${(pattern.stack / pattern.static).toFixed(2)}, ` +
      `stack / trivial upstreams ${(pattern.stack / pattern.trivial).toFixed(2)}, ` +
      `trivial upstreams / static ${(pattern.trivial / pattern.static).toFixed(2)}; replay p99 / static = ` +
      `${(p99 / pattern.static).toFixed(2)} (target <= 1.5)`,
  );
  report.figure('results', r);
  report.figure('patternP99Ms', pattern);
}

function stagesOf(scenario: Scenario): { from: number; end: number }[] {
  const bounds = [0, ...scenario.stages.map((st) => st.atS), scenario.durationS];
  return bounds.slice(1).map((end, i) => ({ from: bounds[i], end }));
}

/** Where the slowest answers were: the p99 of the payments of each stage of the scenario. */
function stageP99s(replay: Replay, scenario: Scenario): string {
  const perStage = stagesOf(scenario).map(({ from, end }) => {
    const inStage = replay.samples.filter((x) => x.kind === 'payment' && x.ok && x.t >= from && x.t < end);
    const p99 = k6Percentile(sortedCopy(inStage.map((x) => x.ms)), 99);
    return `${from.toFixed(0)}-${end.toFixed(0)} s: ${p99.toFixed(2)}`;
  });
  return `payments' p99 (ms) by stage: ${perStage.join(', ')}`;
}

/** Where the instances ran out of quota: throttled periods per stage. */
function stageThrottling(scenario: Scenario, at: (t: number) => number): string {
  const perStage = stagesOf(scenario).map(
    ({ from, end }) => `${from.toFixed(0)}-${end.toFixed(0)} s: ${at(end) - at(from)}`,
  );
  return (
    'throttled periods of app1 + app2 by stage (the table above counts start-up and warm-up too): ' +
    perStage.join(', ')
  );
}

runBench(async () => {
  const o = readOptions('The official scenario against the native stack under the compose limits', OPTIONS);
  const report = new BenchReport('official', o);
  const scenario = o.scale === 1 ? OFFICIAL : scaledScenario(o.scale);
  const log: string[] = [];
  const stack = { composeLimits: !o['no-limits'], log: (l: string) => log.push(l) };
  const sides = [{ name: 'stack', appEnv: envPairs(o.env), stack }];
  await withNativeStacks({ bench: 'official', basePort: 18201, sides, warmUsers: 0 }, async ([s], simulators) => {
    const limitsLine = log.find((l) => l.startsWith('compose limits')) ?? 'compose limits not asked for (--no-limits)';
    const throttling = sampleThrottling(s.stack);
    const started = Date.now();
    const replay = await runReplay({
      backendUrl: s.stack.url,
      processorUrls: simulators.urls,
      scale: o.scale,
      outDir: o.out,
      participant: 'bench',
    }).finally(() => throttling.stop());
    const replaySeconds = (Date.now() - started) / 1000;
    const usage = s.stack.usage();
    const pattern = await patternP99s(s.stack, scenario, o.scale);
    report.line(
      `\nofficial scenario x${o.scale}: ${scenario.durationS} s, up to ${scenario.maxVus} VUs; ${limitsLine}`,
    );
    printScore(replay, scenario, pattern, report);
    report.line(stageP99s(replay, scenario));
    if (usage) {
      report.line(`\nwhat each part used during the replay (${replaySeconds.toFixed(0)} s):`);
      report.line(usageTable(usage, replaySeconds));
      report.line(stageThrottling(scenario, throttling.at));
    }
    report.line(`\nreport: ${replay.reportPath}`);
  });
  report.finish();
});
