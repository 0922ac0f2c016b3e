// The steps of one variant's run in the engine (tools/engine/compose-test.ts lists them in order).
import { setTimeout as sleep } from 'node:timers/promises';
import { runReplay } from '../replay/run';
import { formatSmokeReport, runSmokeCheck } from '../smoke/smoke-check';
import { CgroupSampler } from './cgroup-sampler';
import type { CgroupCounters, ComposeProject } from './compose-project';
import { crash, describeDrill, drill, untilBack, type Drill } from './crash-drills';
import { appliedCpus, declaredLimits } from './declared-limits';
import { must } from './shell';
import { mb, type StepOutcome, type Steps } from '../kit/steps';
import { resetSimulators, type ProcessorName } from './simulator-containers';
import { compareSummaries, processorTotals } from '../smoke/summaries';

export interface VariantRun {
  variant: 'contest' | 'durable';
  project: ComposeProject;
  steps: Steps;
  url: string;
  processors: Record<ProcessorName, string>;
  /** Crashes this run caused, per service: each should show as one restart by Docker. */
  crashes: Map<string, number>;
  scale: number;
  kills: number;
  sampler?: CgroupSampler;
}

/** The official test's peak: 603 virtual users at about one request a second each. */
const OFFICIAL_PEAK_PER_S = 600;
const APPS = ['app1', 'app2'];

export async function bootSteps(run: VariantRun): Promise<boolean> {
  const { project, steps } = run;
  const built = await steps.step('the app image builds with the real Dockerfile (npm ci inside)', async () => {
    await project.compose(['build', '--quiet']);
    const size = Number(await must('docker', ['image', 'inspect', '-f', '{{.Size}}', 'rinha-actors:latest']));
    return `rinha-actors:latest ${mb(size)} MB`;
  });
  if (!built) return false;
  const started = Date.now();
  const upped = await steps.step('docker-compose up -d', async () => {
    await project.compose(['up', '-d']);
    return `returned after ${((Date.now() - started) / 1000).toFixed(1)} s`;
  });
  if (!upped) return false;
  await steps.step('the deployment serves from its first request once up returned', () => firstSecond(run));
  const services = await project.services();
  run.sampler = new CgroupSampler(project, services);
  run.sampler.start();
  await steps.step("each container's CPU quota and memory limit are the file's (docker inspect)", () => limits(run));
  return steps.step('every service reports healthy', () => allHealthy(project, services));
}

/** The first second after `up` returned: every request answered 200 (no 502, no refused connection). */
async function firstSecond(run: VariantRun): Promise<StepOutcome> {
  const answers = new Map<number, number>();
  for (const until = Date.now() + 1000; Date.now() < until; await sleep(20)) {
    // The last second: a bounded window, open without the admin token (the durable variant sets one).
    const window = new URLSearchParams({
      from: new Date(Date.now() - 1000).toISOString(),
      to: new Date().toISOString(),
    });
    const status = await fetch(`${run.url}/payments-summary?${window.toString()}`).then(
      (r) => r.status,
      () => 0,
    );
    answers.set(status, (answers.get(status) ?? 0) + 1);
  }
  const seen = [...answers].map(([s, n]) => `${s === 0 ? 'no answer' : s} x${n}`).join(', ');
  return { ok: answers.size === 1 && answers.has(200), detail: `GET /payments-summary every 20 ms: ${seen}` };
}

async function limits(run: VariantRun): Promise<StepOutcome> {
  const declared = declaredLimits(run.project.files);
  const lines: string[] = [];
  let ok = true;
  for (const [service, want] of Object.entries(declared)) {
    const state = await run.project.state(service);
    const cpus = appliedCpus(state);
    const same = Math.abs(cpus - want.cpus) < 1e-6 && state.memory === want.memoryBytes;
    ok &&= same;
    lines.push(
      `${same ? 'ok ' : 'NOT'} ${service}: ${cpus} CPU, ${state.memory} bytes (${mb(state.memory)} MiB); ` +
        `file: ${want.cpus} CPU, ${want.memoryBytes} bytes`,
    );
  }
  return { ok, detail: lines.join('\n') };
}

async function allHealthy(project: ComposeProject, services: string[]): Promise<StepOutcome | string> {
  const started = Date.now();
  for (const deadline = Date.now() + 90_000; Date.now() < deadline; await sleep(250)) {
    const states = await Promise.all(services.map((s) => project.state(s)));
    if (states.every((s) => s.status === 'running' && (s.health ?? 'healthy') === 'healthy'))
      return `all ${services.length} healthy ${((Date.now() - started) / 1000).toFixed(1)} s after the limits step`;
  }
  const states = await Promise.all(services.map(async (s) => `${s} ${(await project.state(s)).health}`));
  return { ok: false, detail: `not all healthy after 90 s: ${states.join(', ')}` };
}

export async function smokeStep(run: VariantRun): Promise<void> {
  await run.steps.step('the smoke check (npm run check) against the published port', async () => {
    const results = await runSmokeCheck({ url: run.url, processors: run.processors });
    return { ok: results.every((s) => s.ok), detail: formatSmokeReport(results, run.url) };
  });
}

export async function replayStep(run: VariantRun): Promise<void> {
  await run.steps.step(`the official scenario replayed at scale ${run.scale}`, async () => {
    const services = await run.project.services();
    const before = await countersOf(run.project, services);
    const r = await runReplay({
      backendUrl: run.url,
      processorUrls: run.processors,
      scale: run.scale,
      outDir: 'reports/engine',
    });
    const after = await countersOf(run.project, services);
    await resetSimulators(run.processors);
    const seconds = r.samples.reduce((end, x) => Math.max(end, x.t), 0);
    const f = r.results;
    const usage = services.map(
      (s) =>
        `${s}: ${(after[s].cpuSeconds - before[s].cpuSeconds).toFixed(1)} CPU s, ` +
        `throttled ${after[s].throttled - before[s].throttled} periods`,
    );
    const percent = (x: number) => `${(100 * x).toFixed(1)} %`;
    const share = `${percent(r.defaultShare)} to default (oracle ${percent(r.oracleDefaultShare)})`;
    const detail = [
      `p99 ${f.p99.valor}, payments ${f.lag.num_pagamentos_total}, inconsistencies ` +
        `${f.multa.composicao.num_inconsistencias}, lag ${f.lag.lag}, ` +
        `failed POSTs ${f.pagamentos_solicitados.qtd_falha}`,
      `score ${f.total_liquido.toFixed(2)}, ${share}`,
      `during the replay (about ${seconds.toFixed(0)} s): ${usage.join('; ')}`,
    ];
    const ok =
      f.lag.lag === 0 && f.multa.composicao.num_inconsistencias === 0 && f.pagamentos_solicitados.qtd_falha === 0;
    return { ok, detail: detail.join('\n') };
  });
}

async function countersOf(project: ComposeProject, services: string[]): Promise<Record<string, CgroupCounters>> {
  const entries = await Promise.all(
    services.map(async (s) => [s, project.counters(await project.containerId(s))] as const),
  );
  return Object.fromEntries(entries);
}

function drillOptions(run: VariantRun, perSecond: number) {
  return {
    url: run.url,
    processors: run.processors,
    perSecond,
    processorTotals: async () =>
      Object.values(await processorTotals(run.processors)).reduce((n, t) => n + t.totalRequests, 0),
  };
}

/** The drill's verdict: nothing doubled, summaries equal; nothing lost unless `mayLose` (the contest's window). */
async function verdict(run: VariantRun, d: Drill, mayLose: boolean): Promise<StepOutcome> {
  const summaries = await compareSummaries(
    run.url,
    run.processors,
    new Date(d.load.startedAt - 1000),
    new Date(Date.now()),
  );
  const ok = d.check.doubled.length === 0 && summaries.equal && (mayLose || d.check.lost.length === 0);
  return { ok, detail: `${describeDrill(d)}\nsummaries ${summaries.equal ? 'equal' : 'DIFFER'}: ${summaries.detail}` };
}

/** SIGKILLs each service in turn; the next only once the last is back (and 3 s more). Returns the times. */
async function crashInTurn(run: VariantRun, services: string[], healthy: boolean) {
  const times = { kills: [] as number[], back: [] as number[] };
  for (const service of services) {
    const { at, was } = await crash(run.project, service);
    run.crashes.set(service, (run.crashes.get(service) ?? 0) + 1);
    times.kills.push(at);
    times.back.push(await untilBack(run.project, service, was, healthy));
    await sleep(3000);
  }
  return times;
}

export async function drillSteps(run: VariantRun): Promise<void> {
  const contest = run.variant === 'contest';
  await run.steps.step('docker kill of app1 under load (300/s), then docker start', async () => {
    const d = await drill(drillOptions(run, 300), async () => {
      const was = await run.project.state('app1');
      // Taken before the command: the kill lands while `docker kill` runs.
      const killedAt = Date.now();
      await must('docker', ['kill', was.id]);
      await sleep(2000);
      await must('docker', ['start', was.id]);
      return { kills: [killedAt], back: [await untilBack(run.project, 'app1', was, true)] };
    });
    return verdict(run, d, contest);
  });
  const kills = contest ? run.kills : 2;
  const rate = OFFICIAL_PEAK_PER_S;
  await run.steps.step(`${kills} app crashes (SIGKILL) at ${rate}/s: each comes back by itself`, async () => {
    const apps = Array.from({ length: kills }, (_, i) => APPS[i % APPS.length]);
    const d = await drill(drillOptions(run, rate), () => crashInTurn(run, apps, true));
    const v = await verdict(run, d, contest);
    const perKill = d.check.lost.length / kills;
    return { ...v, detail: `${v.detail}\ncrash window: ${perKill.toFixed(1)} acknowledged payments lost per kill` };
  });
  await storeCrashStep(run);
}

async function storeCrashStep(run: VariantRun): Promise<void> {
  await run.steps.step(
    'Redis, then Postgres, crash (SIGKILL) under load (300/s): each comes back by itself',
    async () => {
      const d = await drill(drillOptions(run, 300), () => crashInTurn(run, ['redis', 'postgres'], false));
      return verdict(run, d, false);
    },
  );
}

export async function finalSteps(run: VariantRun, keep: boolean): Promise<void> {
  const { project, steps } = run;
  run.sampler?.stop();
  await run.sampler?.sample();
  const services = await project.services();
  if (run.sampler) {
    await steps.step('no container OOM-killed, none restarted but those crashed', async () => {
      const lines = await Promise.all(
        services.map(async (s) => {
          const state = await project.state(s);
          const expected = run.crashes.get(s) ?? 0;
          const ok = !state.oomKilled && state.restartCount === expected;
          return {
            ok,
            line: `${s}: restarts ${state.restartCount} (crashed ${expected}), OOM-killed ${state.oomKilled}`,
          };
        }),
      );
      return { ok: lines.every((l) => l.ok), detail: lines.map((l) => l.line).join('\n') };
    });
    await steps.step('peak memory of each container against its limit', async () => memoryTable(run, services));
  }
  if (keep) return;
  await steps.step('down -v leaves nothing of the project running', async () => {
    await project.down();
    const left = await project.running();
    return { ok: left.length === 0, detail: left.length ? `still running: ${left.join(', ')}` : 'nothing left' };
  });
}

function memoryTable(run: VariantRun, services: string[]): string {
  const declared = declaredLimits(run.project.files);
  return services
    .map((s) => {
      const peak = run.sampler?.peaks.get(s);
      const limit = declared[s]?.memoryBytes ?? 0;
      return (
        `${s}: charged ${mb(peak?.chargedBytes ?? 0)} MiB of ${mb(limit)} (page cache included), ` +
        `own (rss) ${mb(peak?.rssBytes ?? 0)} MiB`
      );
    })
    .join('\n');
}
