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
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { envPairs, median } from './cli';
import { vuPattern } from './load';
import { startSimulatorProcess } from './simulator-process';
import { startNginx, startStaticNginx, startTrivialUpstreams } from './trivial-upstreams';
import { nativeNginxConfig } from '../launcher/nginx-config';
import { usageTable } from '../launcher/resource-limits';
import { startStack } from '../launcher/stack';
import { k6Percentile, sortedCopy } from '../replay/percentile';
import { runReplay } from '../replay/run';
import { OFFICIAL, scaledScenario } from '../replay/scenario';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string' },
      'no-limits': { type: 'boolean' },
      out: { type: 'string' },
      env: { type: 'string', multiple: true },
    },
  });
  // --env KEY=VALUE (repeatable): any app setting, to compare variants.
  const appEnv = envPairs(values.env ?? []);
  const scale = Number(values.scale ?? 1);
  const scenario = scale === 1 ? OFFICIAL : scaledScenario(scale);
  const dir = join(tmpdir(), `official-${process.pid}`);
  mkdirSync(dir, { recursive: true });

  const simulators = await startSimulatorProcess({ default: 18201, fallback: 18202 });
  const log: string[] = [];
  const stack = await startStack({
    port: 18290,
    processorUrls: simulators.urls,
    redisPrefix: `official:${process.pid}:`,
    databaseSchema: `official_${process.pid}`,
    runDir: join(dir, 'run'),
    output: 'ignore',
    log: (l) => log.push(l),
    appEnv: { LOG_LEVEL: 'warn', ...appEnv },
    composeLimits: !values['no-limits'],
  });
  const limitsLine = log.find((l) => l.startsWith('compose limits')) ?? 'compose limits not asked for (--no-limits)';
  let replay: Awaited<ReturnType<typeof runReplay>>;
  const patternP99 = { static: NaN, trivial: NaN, stack: NaN };
  const started = Date.now();
  // Throttled periods sampled every second, to see in which stage an instance ran out of quota.
  // (The first sample is taken now: start-up and warm-up throttling, before any traffic, is not counted.)
  const appThrottled = () =>
    (stack.usage() ?? []).filter((p) => p.part.startsWith('app')).reduce((n, p) => n + p.throttledPeriods, 0);
  const throttleSamples: { t: number; app: number }[] = [{ t: 0, app: appThrottled() }];
  const sampler = setInterval(() => {
    throttleSamples.push({ t: (Date.now() - started) / 1000, app: appThrottled() });
  }, 1000);
  try {
    replay = await runReplay({
      backendUrl: stack.url,
      processorUrls: simulators.urls,
      scale,
      outDir: values.out ?? join('reports', 'official'),
      participant: 'bench',
    });
    const replaySeconds = (Date.now() - started) / 1000;
    const usage = stack.usage();
    clearInterval(sampler);
    // The baselines, under the replay's peak of users, alternating with the stack under the
    // very same pattern, twice (medians; one 20 s run of each varied twofold between runs):
    // Nginx answering a static 202 (the target's reference), and our nginx.conf in front of
    // two upstreams that answer 202 at once (the floor of this shape, whatever the instances do).
    const nginx = await startStaticNginx(dir, 18291);
    const trivialDir = join(dir, 'trivial');
    mkdirSync(trivialDir, { recursive: true });
    const trivial = await startTrivialUpstreams(trivialDir);
    const proxy = await startNginx(
      trivialDir,
      'proxy',
      nativeNginxConfig({ port: 18292, socketDir: trivialDir, errorLog: join(trivialDir, 'error.log') }),
    );
    try {
      const seconds = Math.max(10, Math.round(15 * scale));
      const runs: Record<keyof typeof patternP99, number[]> = { static: [], trivial: [], stack: [] };
      const urls = { static: 'http://127.0.0.1:18291', trivial: 'http://127.0.0.1:18292', stack: stack.url };
      for (let round = 0; round < 2; round++) {
        for (const name of ['static', 'trivial', 'stack'] as const)
          runs[name].push(k6Percentile(sortedCopy(await vuPattern(urls[name], scenario.maxVus, seconds)), 99));
      }
      for (const name of ['static', 'trivial', 'stack'] as const) patternP99[name] = median(runs[name]);
    } finally {
      nginx.kill('SIGQUIT');
      proxy.kill('SIGQUIT');
      trivial.stop();
    }

    const r = replay.results;
    const p99 = Number.parseFloat(r.p99.valor);
    console.log(`\nofficial scenario x${scale}: ${scenario.durationS} s, up to ${scenario.maxVus} VUs; ${limitsLine}`);
    console.log(
      `p99 ${r.p99.valor} (bonus ${r.p99.bonus}); inconsistencies ${r.multa.composicao.num_inconsistencias}; lag ` +
        `${r.lag.lag}; failed POSTs ${r.pagamentos_solicitados.qtd_falha}`,
    );
    console.log(
      `default ${r.pagamentos_realizados_default.num_pagamentos}, fallback ` +
        `${r.pagamentos_realizados_fallback.num_pagamentos}; total_liquido ${r.total_liquido}`,
    );
    console.log(
      `default share ${(100 * replay.defaultShare).toFixed(1)} % vs oracle ` +
        `${(100 * replay.oracleDefaultShare).toFixed(1)} %: ` +
        `${((100 * replay.defaultShare) / replay.oracleDefaultShare).toFixed(1)} % of the oracle (target >= 99 %)`,
    );
    console.log(
      `the replay's peak pattern (${scenario.maxVus} VUs), median p99 of 2 runs each: static Nginx ` +
        `${patternP99.static.toFixed(3)} ms, nginx.conf over trivial upstreams ${patternP99.trivial.toFixed(3)} ms, ` +
        `the stack ${patternP99.stack.toFixed(3)} ms; stack / static ` +
        `${(patternP99.stack / patternP99.static).toFixed(2)}, stack / trivial upstreams ` +
        `${(patternP99.stack / patternP99.trivial).toFixed(2)}, ` +
        `trivial upstreams / static ${(patternP99.trivial / patternP99.static).toFixed(2)}; replay p99 / static = ` +
        `${(p99 / patternP99.static).toFixed(2)} (target <= 1.5)`,
    );
    // Where the slowest answers were: the p99 of the payments of each stage.
    const bounds = [0, ...scenario.stages.map((s) => s.atS), scenario.durationS];
    const stageP99 = bounds.slice(1).map((end, i) => {
      const d = sortedCopy(
        replay.samples.filter((x) => x.kind === 'payment' && x.ok && x.t >= bounds[i] && x.t < end).map((x) => x.ms),
      );
      return `${bounds[i].toFixed(0)}-${end.toFixed(0)} s: ${k6Percentile(d, 99).toFixed(2)}`;
    });
    console.log(`payments' p99 (ms) by stage: ${stageP99.join(', ')}`);
    if (usage) {
      console.log(
        `\nwhat each part used during the replay (${replaySeconds.toFixed(0)} s):\n${usageTable(usage, replaySeconds)}`,
      );
      const at = (t: number) => [...throttleSamples].reverse().find((s) => s.t <= t)?.app ?? 0;
      const perStage = bounds
        .slice(1)
        .map((end, i) => `${bounds[i].toFixed(0)}-${end.toFixed(0)} s: ${at(end) - at(bounds[i])}`);
      console.log(
        `throttled periods of app1 + app2 by stage (the table above counts start-up and warm-up too): ` +
          `${perStage.join(', ')}`,
      );
    }
    console.log(`\nreport: ${replay.reportPath}`);
  } finally {
    await stack.stop();
    simulators.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
