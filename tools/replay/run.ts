// One replay of the official test: setup (tokens, purges), the payments scenario, the
// consistency checks and the stage changes running together, then the final summaries,
// the score (final-results.json) and the report (report.html).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkConsistency, type ConsistencyCheck } from './consistency-checker';
import { readInstances, splitOf, type InstanceCounters, type InstanceSplitRow } from './instance-split';
import { runFacts } from './run-facts';
import { CHECK_WINDOW_END_MS, computeExposure, type Exposure } from './exposure';
import { k6Percentile, sortedCopy } from '../kit/percentile';
import { ProcessorsAdmin, type AdminSummary } from './processors-admin';
import { Progress } from './progress';
import { renderReport, type TimelinePoint } from './report';
import { oracleDefaultShare } from './oracle';
import { OFFICIAL, scaledScenario, stageAt, vusAt, type Scenario } from './scenario';
import { finalResults, type FinalResults } from './score';
import { TimedClient, type Sample } from './timed-client';
import { runVirtualUsers, type PaymentTally } from './virtual-users';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReplayOptions {
  backendUrl: string;
  processorUrls: { default: string; fallback: string };
  token: string;
  /** 1 is the official 300 s with 603 VUs; 0.1 is 30 s with 60 VUs. */
  scale: number;
  /** Overrides the peak of virtual users (MAX_REQUESTS). */
  maxVus?: number;
  /** The consistency horizon the oracle respects (the system's CONSISTENCY_HORIZON_MS). */
  horizonMs: number;
  /** Pause between two consistency checks, in ms (the official 10 s, scaled with the run, when unset). */
  checkEveryMs?: number;
  outDir: string;
  participant: string;
  progress: Progress;
}

export const DEFAULT_REPLAY_OPTIONS: Omit<ReplayOptions, 'progress'> = {
  backendUrl: 'http://127.0.0.1:9999',
  processorUrls: { default: 'http://127.0.0.1:8001', fallback: 'http://127.0.0.1:8002' },
  token: '123',
  scale: 1,
  horizonMs: 1500,
  outDir: 'reports',
  participant: 'anonymous',
};

export interface ReplayResult {
  results: FinalResults;
  /** Share of recorded payments that went to default, and what an oracle could have sent there. */
  defaultShare: number;
  oracleDefaultShare: number;
  checks: ConsistencyCheck[];
  /** When a check could have found a payment on one side only (null: the processors do not say when they stored). */
  exposure: Exposure | null;
  /** Every request the replay made, timed. */
  samples: Sample[];
  /** What each instance answered, from its metrics (empty: none answered by name). */
  instances: InstanceSplitRow[];
  reportPath: string;
  resultsPath: string;
}

function describe(scenario: Scenario, t: number): string {
  const s = stageAt(scenario, t);
  if (!s) return 'warm-up';
  const c = (x: { delay: number; failure: boolean }) => `${x.delay}ms${x.failure ? ' failing' : ''}`;
  return `default ${c(s.default)}, fallback ${c(s.fallback)}`;
}

/** What the parts of one replay share while it runs. */
interface Run {
  o: ReplayOptions;
  scenario: Scenario;
  client: TimedClient;
  admin: ProcessorsAdmin;
  startedAt: number;
  endsAt: number;
  tally: PaymentTally;
  checks: ConsistencyCheck[];
  timeline: TimelinePoint[];
}

/**
 * setup(), as the official test does it; the processors' conditions are reset too, so a previous run
 * cannot leave one failing before the first stage.
 */
async function setUp(o: ReplayOptions, client: TimedClient, admin: ProcessorsAdmin): Promise<void> {
  for (const p of ['default', 'fallback'] as const) {
    await admin.setToken(p);
    await admin.purge(p);
    await admin.apply(p, { delay: 0, failure: false });
  }
  await client.send('admin', `${o.backendUrl}/purge-payments`, 'POST', 1500);
  client.clearSamples();
}

/** Stage changes at their times. */
function stageChanges(r: Run): Promise<unknown>[] {
  return r.scenario.stages.map((stage) =>
    sleep(stage.atS * 1000).then(async () => {
      await Promise.all([r.admin.apply('default', stage.default), r.admin.apply('fallback', stage.fallback)]);
      r.o.progress.say(`t=${stage.atS.toFixed(1)}s stage: ${describe(r.scenario, stage.atS)}`);
    }),
  );
}

/**
 * payments_consistency: check, then wait, until the end; the last wait is not cut short (k6 lets that
 * iteration finish too, and the final summaries wait for it).
 */
async function consistencyChecks(r: Run): Promise<void> {
  while (Date.now() < r.endsAt) {
    const t = (Date.now() - r.startedAt) / 1000;
    const check = await checkConsistency(r.client, r.admin, r.o.backendUrl, t);
    r.checks.push(check);
    if (check.inconsistencies > 0)
      r.o.progress.say(
        `t=${t.toFixed(1)}s INCONSISTENT: default ours ${check.ours.default} vs ${check.theirs.default}, ` +
          `fallback ours ${check.ours.fallback} vs ${check.theirs.fallback}`,
      );
    await sleep(r.scenario.checkEveryS * 1000);
  }
}

/** Once a second: where payments went (for the report's timeline) and the progress line. Returns the stop. */
function everySecond(r: Run): () => void {
  const timelineTimer = setInterval(() => {
    const t = (Date.now() - r.startedAt) / 1000;
    void Promise.all([r.admin.summary('default'), r.admin.summary('fallback')]).then(([d, f]) =>
      r.timeline.push({ t, default: d.totalRequests, fallback: f.totalRequests }),
    );
  }, 1000);
  const progressTimer = setInterval(() => {
    const t = (Date.now() - r.startedAt) / 1000;
    // Nothing here may scan or sort every sample: this runs in the generator's event loop,
    // once a second, while it times answers (see latency-histogram.ts).
    let recent = 0;
    for (let s = Math.floor(t) - 5; s < Math.floor(t); s++) recent += r.client.okPaymentsBySecond[s] ?? 0;
    r.o.progress.update({
      t,
      durationS: r.scenario.durationS,
      vus: vusAt(r.scenario, t),
      ratePerS: recent / 5,
      p99Ms: r.client.okLatencies.percentile(99),
      errors: r.tally.failed,
      inconsistencies: r.checks.reduce((n, c) => n + c.inconsistencies, 0),
      stage: describe(r.scenario, t),
    });
  }, 1000);
  return () => {
    clearInterval(timelineTimer);
    clearInterval(progressTimer);
  };
}

/** teardown(): the processors' summaries for the last 6 minutes. */
async function tearDown(r: Run): Promise<[AdminSummary, AdminSummary]> {
  const to = new Date();
  const from = new Date(to.getTime() - 360_000);
  const [d, f] = await Promise.all([
    r.admin.summary('default', from.toISOString(), to.toISOString()),
    r.admin.summary('fallback', from.toISOString(), to.toISOString()),
  ]);
  r.timeline.push({ t: (Date.now() - r.startedAt) / 1000, default: d.totalRequests, fallback: f.totalRequests });
  return [d, f];
}

/** What both processors stored late, as exposure by stage; null when a processor does not say (the official one). */
async function measureExposure(r: Run): Promise<Exposure | null> {
  const [d, f] = await Promise.all([
    r.admin.late('default', CHECK_WINDOW_END_MS),
    r.admin.late('fallback', CHECK_WINDOW_END_MS),
  ]);
  if (!d || !f) return null;
  return computeExposure([...d.payments, ...f.payments], r.scenario, r.startedAt, d.truncated || f.truncated);
}

function sayExposure(r: Run, exposure: Exposure | null): void {
  if (!exposure) return r.o.progress.say('exposure: not measured (the processors do not say when they stored)');
  const stages = exposure.stages
    .filter((s) => s.latePayments > 0)
    .map((s) => `${s.atS === null ? 'warm-up' : `t=${s.atS.toFixed(1)}s`} ${s.exposedMs} ms (${s.latePayments} late)`);
  r.o.progress.say(
    `exposure ${exposure.exposedMs} ms over ${exposure.latePayments} payments stored over 2 s after their ` +
      `requestedAt; chance a 10 s checker lands in it ${(exposure.officialCheckerChance * 100).toFixed(2)}%` +
      `${stages.length > 0 ? `; by stage: ${stages.join(', ')}` : ''}${exposure.truncated ? ' (truncated)' : ''}`,
  );
}

/** The score (final-results.json) and the report (report.html). */
function writeOutputs(r: Run, results: FinalResults, samples: Sample[], instances: InstanceSplitRow[]) {
  const outDir = resolve(r.o.outDir);
  mkdirSync(outDir, { recursive: true });
  const resultsPath = join(outDir, 'final-results.json');
  const reportPath = join(outDir, 'report.html');
  writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  const { scenario, timeline, checks } = r;
  const oracle = oracleDefaultShare(scenario, r.o.horizonMs);
  const page = {
    scenario,
    samples,
    timeline,
    checks,
    results,
    backendUrl: r.o.backendUrl,
    oracleDefaultShare: oracle,
    exposure: results.exposicao,
    run: { ...runFacts({ ...r.o }), instances },
  };
  writeFileSync(reportPath, renderReport(page));
  return { resultsPath, reportPath };
}

function sayScore(r: Run, results: FinalResults, [d, f]: [AdminSummary, AdminSummary]): number {
  r.o.progress.say(
    `score ${results.total_liquido.toFixed(2)}: bruto ${results.total_bruto}, taxas ${results.total_taxas}, p99 ` +
      `${results.p99.valor} (bonus ${results.p99.bonus}), ` +
      `inconsistencies ${results.multa.composicao.num_inconsistencias}, lag ${results.lag.lag}, default ` +
      `${d.totalRequests} / fallback ${f.totalRequests}`,
  );
  const defaultShare = d.totalRequests / Math.max(1, d.totalRequests + f.totalRequests);
  const oracle = oracleDefaultShare(r.scenario, r.o.horizonMs);
  r.o.progress.say(
    `default share ${(defaultShare * 100).toFixed(1)}%, oracle ${(oracle * 100).toFixed(1)}% (ratio ` +
      `${(defaultShare / oracle).toFixed(3)})`,
  );
  return defaultShare;
}

export async function runReplay(overrides: Partial<ReplayOptions> = {}): Promise<ReplayResult> {
  const o: ReplayOptions = { ...DEFAULT_REPLAY_OPTIONS, progress: new Progress(), ...overrides };
  const scaled = o.scale === 1 && o.maxVus === undefined ? OFFICIAL : scaledScenario(o.scale, o.maxVus);
  const scenario = o.checkEveryMs === undefined ? scaled : { ...scaled, checkEveryS: o.checkEveryMs / 1000 };
  const clock = { startedAt: Date.now() };
  // Each VU has connections of its own (TimedClient.user); the shared pools carry only setup,
  // checks, stage changes and the report's timeline, a few requests at a time.
  const client = new TimedClient(() => clock.startedAt, 16);
  const admin = new ProcessorsAdmin(client, o.processorUrls, o.token);
  await setUp(o, client, admin);
  const instancesBefore: Map<string, InstanceCounters> = await readInstances(o.backendUrl);
  clock.startedAt = Date.now();
  const { startedAt } = clock;
  const tally: PaymentTally = { succeeded: 0, failed: 0, active: 0 };
  const endsAt = startedAt + scenario.durationS * 1000;
  const r: Run = { o, scenario, client, admin, startedAt, endsAt, tally, checks: [], timeline: [] };
  o.progress.say(
    `replaying ${scenario.durationS} s with up to ${scenario.maxVus} virtual users against ${o.backendUrl}`,
  );
  const background = [...stageChanges(r), consistencyChecks(r)];
  const stopTimers = everySecond(r);
  await runVirtualUsers(scenario, client, o.backendUrl, startedAt, tally);
  await Promise.all(background);
  stopTimers();
  const summaries = await tearDown(r);
  const instances = splitOf(instancesBefore, await readInstances(o.backendUrl));
  const exposure = await measureExposure(r);
  await client.close();
  const samples = client.samples; // made from the store on each read: once here
  const okDurations = sortedCopy(samples.filter((s) => s.ok).map((s) => s.ms));
  const results = finalResults({
    participant: o.participant,
    maxRequests: scenario.maxVus,
    p99Ms: k6Percentile(okDurations, 99),
    paymentsSucceeded: tally.succeeded,
    paymentsFailed: tally.failed,
    inconsistencies: r.checks.reduce((n, c) => n + c.inconsistencies, 0),
    checks: r.checks.length,
    checksWithDifferences: r.checks.filter((c) => c.inconsistencies > 0).length,
    exposure,
    default: summaries[0],
    fallback: summaries[1],
  });
  const { resultsPath, reportPath } = writeOutputs(r, results, samples, instances);
  const defaultShare = sayScore(r, results, summaries);
  sayExposure(r, exposure);
  o.progress.say(`wrote ${resultsPath} and ${reportPath}`);
  const oracle = oracleDefaultShare(scenario, o.horizonMs);
  return {
    results,
    checks: r.checks,
    exposure,
    samples,
    instances,
    reportPath,
    resultsPath,
    defaultShare,
    oracleDefaultShare: oracle,
  };
}
