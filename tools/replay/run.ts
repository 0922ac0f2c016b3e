// One replay of the official test: setup (tokens, purges), the payments scenario, the
// consistency checks and the stage changes running together, then the final summaries,
// the score (final-results.json) and the report (report.html).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkConsistency, type ConsistencyCheck } from './consistency-checker';
import { k6Percentile, sortedCopy } from './percentile';
import { ProcessorsAdmin } from './processors-admin';
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
  /** Every request the replay made, timed. */
  samples: Sample[];
  reportPath: string;
  resultsPath: string;
}

function describe(scenario: Scenario, t: number): string {
  const s = stageAt(scenario, t);
  if (!s) return 'warm-up';
  const c = (x: { delay: number; failure: boolean }) => `${x.delay}ms${x.failure ? ' failing' : ''}`;
  return `default ${c(s.default)}, fallback ${c(s.fallback)}`;
}

export async function runReplay(overrides: Partial<ReplayOptions> = {}): Promise<ReplayResult> {
  const o: ReplayOptions = { ...DEFAULT_REPLAY_OPTIONS, progress: new Progress(), ...overrides };
  const scenario = o.scale === 1 && o.maxVus === undefined ? OFFICIAL : scaledScenario(o.scale, o.maxVus);
  let startedAt = Date.now();
  // Each VU has connections of its own (TimedClient.user); the shared pools carry only setup,
  // checks, stage changes and the report's timeline, a few requests at a time.
  const client = new TimedClient(() => startedAt, 16);
  const admin = new ProcessorsAdmin(client, o.processorUrls, o.token);

  // setup(), as the official test does it; the processors' conditions are reset too, so a
  // previous run cannot leave one failing before the first stage.
  for (const p of ['default', 'fallback'] as const) {
    await admin.setToken(p);
    await admin.purge(p);
    await admin.apply(p, { delay: 0, failure: false });
  }
  await client.send('admin', `${o.backendUrl}/purge-payments`, 'POST', 1500);
  client.clearSamples();

  startedAt = Date.now();
  const endsAt = startedAt + scenario.durationS * 1000;
  const tally: PaymentTally = { succeeded: 0, failed: 0, active: 0 };
  const checks: ConsistencyCheck[] = [];
  const timeline: TimelinePoint[] = [];
  const background: Promise<unknown>[] = [];
  o.progress.say(
    `replaying ${scenario.durationS} s with up to ${scenario.maxVus} virtual users against ${o.backendUrl}`,
  );

  // Stage changes at their times.
  for (const stage of scenario.stages) {
    background.push(
      sleep(stage.atS * 1000).then(async () => {
        await Promise.all([admin.apply('default', stage.default), admin.apply('fallback', stage.fallback)]);
        o.progress.say(`t=${stage.atS.toFixed(1)}s stage: ${describe(scenario, stage.atS)}`);
      }),
    );
  }

  // payments_consistency: check, then wait, until the end; the last wait is not cut short
  // (k6 lets that iteration finish too, and the final summaries wait for it).
  background.push(
    (async () => {
      while (Date.now() < endsAt) {
        const t = (Date.now() - startedAt) / 1000;
        const check = await checkConsistency(client, admin, o.backendUrl, t);
        checks.push(check);
        if (check.inconsistencies > 0)
          o.progress.say(
            `t=${t.toFixed(1)}s INCONSISTENT: default ours ${check.ours.default} vs ${check.theirs.default}, ` +
              `fallback ours ${check.ours.fallback} vs ${check.theirs.fallback}`,
          );
        await sleep(scenario.checkEveryS * 1000);
      }
    })(),
  );

  // For the report: where payments went, once a second (not counted in the score).
  const timelineTimer = setInterval(() => {
    const t = (Date.now() - startedAt) / 1000;
    void Promise.all([admin.summary('default'), admin.summary('fallback')]).then(([d, f]) =>
      timeline.push({ t, default: d.totalRequests, fallback: f.totalRequests }),
    );
  }, 1000);
  const progressTimer = setInterval(() => {
    const t = (Date.now() - startedAt) / 1000;
    // Nothing here may scan or sort every sample: this runs in the generator's event loop,
    // once a second, while it times answers (see latency-histogram.ts).
    let recent = 0;
    for (let s = Math.floor(t) - 5; s < Math.floor(t); s++) recent += client.okPaymentsBySecond[s] ?? 0;
    o.progress.update({
      t,
      durationS: scenario.durationS,
      vus: vusAt(scenario, t),
      ratePerS: recent / 5,
      p99Ms: client.okLatencies.percentile(99),
      errors: tally.failed,
      inconsistencies: checks.reduce((n, c) => n + c.inconsistencies, 0),
      stage: describe(scenario, t),
    });
  }, 1000);

  await runVirtualUsers(scenario, client, o.backendUrl, startedAt, tally);
  await Promise.all(background);
  clearInterval(timelineTimer);
  clearInterval(progressTimer);

  // teardown(): the processors' summaries for the last 6 minutes.
  const to = new Date();
  const from = new Date(to.getTime() - 360_000);
  const [d, f] = await Promise.all([
    admin.summary('default', from.toISOString(), to.toISOString()),
    admin.summary('fallback', from.toISOString(), to.toISOString()),
  ]);
  timeline.push({ t: (Date.now() - startedAt) / 1000, default: d.totalRequests, fallback: f.totalRequests });
  await client.close();

  const samples = client.samples; // made from the store on each read: once here
  const okDurations = sortedCopy(samples.filter((s) => s.ok).map((s) => s.ms));
  const results = finalResults({
    participant: o.participant,
    maxRequests: scenario.maxVus,
    p99Ms: k6Percentile(okDurations, 99),
    paymentsSucceeded: tally.succeeded,
    paymentsFailed: tally.failed,
    inconsistencies: checks.reduce((n, c) => n + c.inconsistencies, 0),
    default: d,
    fallback: f,
  });
  const outDir = resolve(o.outDir);
  mkdirSync(outDir, { recursive: true });
  const resultsPath = join(outDir, 'final-results.json');
  const reportPath = join(outDir, 'report.html');
  writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(
    reportPath,
    renderReport({
      scenario,
      samples,
      timeline,
      checks,
      results,
      backendUrl: o.backendUrl,
      oracleDefaultShare: oracleDefaultShare(scenario, o.horizonMs),
    }),
  );
  o.progress.say(
    `score ${results.total_liquido.toFixed(2)}: bruto ${results.total_bruto}, taxas ${results.total_taxas}, p99 ` +
      `${results.p99.valor} (bonus ${results.p99.bonus}), ` +
      `inconsistencies ${results.multa.composicao.num_inconsistencias}, lag ${results.lag.lag}, default ` +
      `${d.totalRequests} / fallback ${f.totalRequests}`,
  );
  const defaultShare = d.totalRequests / Math.max(1, d.totalRequests + f.totalRequests);
  const oracle = oracleDefaultShare(scenario, o.horizonMs);
  o.progress.say(
    `default share ${(defaultShare * 100).toFixed(1)}%, oracle ${(oracle * 100).toFixed(1)}% (ratio ` +
      `${(defaultShare / oracle).toFixed(3)})`,
  );
  o.progress.say(`wrote ${resultsPath} and ${reportPath}`);
  return { results, checks, samples, reportPath, resultsPath, defaultShare, oracleDefaultShare: oracle };
}
