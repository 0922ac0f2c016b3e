// The run as a page a person would rather look at than read: latency percentiles,
// request rate and where payments went, second by second, with the stage changes
// drawn across, then the score. One self-contained HTML file with inline SVG.
import type { ConsistencyCheck } from './consistency-checker';
import type { InstanceSplitRow } from './instance-split';
import { CHART_CSS, escapeHtml as esc, lineChart } from '../kit/chart';
import { k6Percentile } from '../kit/percentile';
import type { RunFacts } from './run-facts';
import type { Scenario } from './scenario';
import type { FinalResults } from './score';
import type { Outcome } from './sample-store';
import type { Sample } from './timed-client';

export interface TimelinePoint {
  t: number;
  default: number;
  fallback: number;
}

export interface ReportInput {
  scenario: Scenario;
  samples: Sample[];
  timeline: TimelinePoint[];
  checks: ConsistencyCheck[];
  results: FinalResults;
  backendUrl: string;
  /** What an oracle knowing the stages could send to default (0..1). */
  oracleDefaultShare?: number;
  /** When a check could have found a payment on one side only. */
  exposure?: FinalResults['exposicao'];
  /** The commit and options of the run, and what each instance answered (empty: none answered by name). */
  run?: RunFacts & { instances: InstanceSplitRow[] };
}

/** Payment latencies and counts per whole second. */
export function perSecond(
  samples: Sample[],
  durationS: number,
): { t: number; count: number; p50: number; p90: number; p99: number }[] {
  const buckets: number[][] = Array.from({ length: Math.ceil(durationS) + 1 }, () => []);
  for (const s of samples)
    if (s.kind === 'payment' && s.ok) buckets[Math.min(buckets.length - 1, Math.floor(s.t))].push(s.ms);
  return buckets.map((b, t) => {
    const sorted = b.sort((x, y) => x - y);
    return {
      t,
      count: b.length,
      p50: k6Percentile(sorted, 50),
      p90: k6Percentile(sorted, 90),
      p99: k6Percentile(sorted, 99),
    };
  });
}

/** The answers of POST /payments that were not 2xx, per whole second and outcome. */
export function failuresPerSecond(samples: Sample[], durationS: number): Record<Exclude<Outcome, 'ok'>, number[]> {
  const seconds = Math.ceil(durationS) + 1;
  const out = { refused: new Array<number>(seconds).fill(0), failed: new Array<number>(seconds).fill(0) };
  const timeout = new Array<number>(seconds).fill(0);
  for (const s of samples) {
    if (s.kind !== 'payment' || s.outcome === 'ok') continue;
    const t = Math.min(seconds - 1, Math.floor(s.t));
    if (s.outcome === 'timeout') timeout[t]++;
    else out[s.outcome][t]++;
  }
  return { ...out, timeout };
}

/** Payments recorded per second by each processor, from the timeline's running totals. */
function recordingRates(timeline: TimelinePoint[]): TimelinePoint[] {
  const rates: TimelinePoint[] = [];
  for (let i = 1; i < timeline.length; i++) {
    const a = timeline[i - 1];
    const b = timeline[i];
    const dt = b.t - a.t || 1;
    rates.push({ t: b.t, default: (b.default - a.default) / dt, fallback: (b.fallback - a.fallback) / dt });
  }
  return rates;
}

function scoreRows(r: FinalResults, oracleDefaultShare: number | undefined): [string, string][] {
  const defaultSharePercent =
    (100 * r.pagamentos_realizados_default.num_pagamentos) / Math.max(1, r.lag.num_pagamentos_total);
  const oracle =
    oracleDefaultShare === undefined
      ? ''
      : ` (an oracle knowing the stages: ${(oracleDefaultShare * 100).toFixed(1)}%)`;
  const processor = (p: FinalResults['pagamentos_realizados_default']) =>
    `${p.num_pagamentos} payments, ${p.total_bruto}`;
  return [
    ['total_liquido (score)', r.total_liquido.toFixed(2)],
    ['total_bruto', r.total_bruto.toFixed(2)],
    ['total_taxas', r.total_taxas.toFixed(2)],
    ['p99', `${r.p99.valor} (bonus ${r.p99.bonus})`],
    ['inconsistencies', `${r.multa.composicao.num_inconsistencias} (fine ${r.multa.porcentagem * 100}%)`],
    ['lag', `${r.lag.lag} (requested ${r.lag.num_pagamentos_solicitados}, recorded ${r.lag.num_pagamentos_total})`],
    ['default', processor(r.pagamentos_realizados_default)],
    ['fallback', processor(r.pagamentos_realizados_fallback)],
    ['share to default', `${defaultSharePercent.toFixed(1)}%${oracle}`],
    ['failed POSTs', String(r.pagamentos_solicitados.qtd_falha)],
  ];
}

function stageRows(scenario: Scenario): string {
  const condition = (c: { delay: number; failure: boolean }) => `${c.delay} ms${c.failure ? ', failing' : ''}`;
  return scenario.stages
    .map(
      (s) => `<tr><td>${s.atS.toFixed(1)} s</td><td>${condition(s.default)}</td><td>${condition(s.fallback)}</td></tr>`,
    )
    .join('');
}

function checkRows(checks: ConsistencyCheck[]): string {
  return checks
    .map(
      (c) =>
        `<tr class="${c.inconsistencies > 0 ? 'bad' : ''}"><td>${c.t.toFixed(1)} s</td><td>${c.ours.default} / ` +
        `${c.theirs.default}</td><td>${c.ours.fallback} / ` +
        `${c.theirs.fallback}</td><td>${c.inconsistencies}</td></tr>`,
    )
    .join('');
}

function exposureSection(exposure: ReportInput['exposure']): string {
  if (!exposure || !exposure.medida)
    return '<h2>Exposure</h2><p>Not measured: the processors do not say when they stored.</p>';
  const rows = exposure.por_estagio
    .map(
      (s) =>
        `<tr class="bad"><td>${s.estagio_s === null ? 'warm-up' : `${s.estagio_s.toFixed(1)} s`}</td>` +
        `<td>${s.tempo_exposto_ms} ms</td><td>${s.pagamentos_tardios}</td><td>${s.pior_atraso_ms} ms</td></tr>`,
    )
    .join('');
  return (
    `<h2>Exposure: ${exposure.tempo_exposto_ms} ms (a 10 s checker lands in it with chance ` +
    `${(exposure.chance_verificador_10s * 100).toFixed(2)}%)</h2><p>Payments stored by their processor over 2 s ` +
    'after their requestedAt, by the stage they were requested in: while one is not stored, a check may count it ' +
    'on one side only.</p>' +
    '<table><tr><th>stage</th><th>exposed</th><th>late payments</th><th>latest stored after requestedAt</th></tr>' +
    `${rows}</table>`
  );
}

/** Latency percentiles, request rate and where payments went, second by second, stages drawn across. */
/** How POST /payments was answered over the whole run: count and share of each outcome. */
function outcomeRows(samples: Sample[]): string {
  const payments = samples.filter((s) => s.kind === 'payment');
  const names: [Outcome, string][] = [
    ['ok', '2xx'],
    ['refused', '503 (refused, to retry)'],
    ['failed', 'another status'],
    ['timeout', 'no answer in time'],
  ];
  return names
    .map(([outcome, label]) => {
      const n = payments.filter((s) => s.outcome === outcome).length;
      const share = payments.length > 0 ? ((100 * n) / payments.length).toFixed(2) : '0.00';
      const bad = outcome !== 'ok' && n > 0 ? ' class="bad"' : '';
      return `<tr${bad}><td>${label}</td><td>${n}</td><td>${share} %</td></tr>`;
    })
    .join('');
}

function keyValueRows(rows: [string, string][]): string {
  return rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
}

/** The commit, Node and every option of the run. */
function runSection(run: ReportInput['run']): string {
  if (!run) return '';
  const rows: [string, string][] = [['commit', run.commit], ['node', run.node], ...run.options];
  return `<h2>The run</h2><table>${keyValueRows(rows)}</table>`;
}

/** What each instance answered, from its own metrics (none answering by name: no table). */
function instanceSection(run: ReportInput['run']): string {
  if (!run) return '';
  if (run.instances.length === 0)
    return (
      '<h2>Per instance</h2><p>No instance answered at /instances/&lt;name&gt;/metrics (another backend, or an ' +
      'admin token): no split.</p>'
    );
  const rows = run.instances
    .map(
      (i) =>
        `<tr><td>${esc(i.instance)}</td><td>${i.accepted}</td><td>${i.refused}</td><td>${i.rejectedInput}</td>` +
        `<td>${i.p99AtMostMs === null ? '-' : `≤ ${i.p99AtMostMs.toFixed(2)} ms`}</td></tr>`,
    )
    .join('');
  return (
    "<h2>Per instance (from each instance's metrics)</h2><table><tr><th>instance</th><th>accepted</th>" +
    '<th>refused (503)</th><th>rejected input</th><th>p99 of its answers (histogram bucket)</th></tr>' +
    `${rows}</table>`
  );
}

function charts(input: ReportInput): string {
  const { scenario } = input;
  const xMax = scenario.durationS;
  const stages = scenario.stages.map((s) => s.atS);
  const secs = perSecond(input.samples, scenario.durationS).filter((s) => s.count > 0);
  const rates = recordingRates(input.timeline);
  const failures = failuresPerSecond(input.samples, scenario.durationS);
  const failureSeries = (values: number[]): [number, number][] => values.map((v, t): [number, number] => [t, v]);
  return [
    lineChart(
      'Latency of POST /payments, per second',
      [
        { name: 'p50', color: '#4c78a8', points: secs.map((s) => [s.t, s.p50]) },
        { name: 'p90', color: '#f58518', points: secs.map((s) => [s.t, s.p90]) },
        { name: 'p99', color: '#e45756', points: secs.map((s) => [s.t, s.p99]) },
      ],
      { xMax, yLabel: 'ms (log)', log: true, stages },
    ),
    lineChart(
      'Requests per second',
      [{ name: 'POST /payments answered ' + '2xx', color: '#54a24b', points: secs.map((s) => [s.t, s.count]) }],
      { xMax, yLabel: 'req/s', stages },
    ),
    lineChart(
      'POST /payments not answered 2xx, per second',
      [
        { name: '503', color: '#f58518', points: failureSeries(failures.refused) },
        { name: 'another status', color: '#b279a2', points: failureSeries(failures.failed) },
        { name: 'no answer in time', color: '#e45756', points: failureSeries(failures.timeout) },
      ],
      { xMax, yLabel: 'req/s', stages },
    ),
    lineChart(
      'Payments recorded per second, by processor',
      [
        { name: 'default', color: '#4c78a8', points: rates.map((p) => [p.t, p.default]) },
        { name: 'fallback', color: '#e45756', points: rates.map((p) => [p.t, p.fallback]) },
      ],
      { xMax, yLabel: 'payments/s', stages },
    ),
  ].join('\n');
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#222}
h1{font-size:1.4rem}h2{font-size:1.05rem;margin:1.6rem 0 .3rem}
table{border-collapse:collapse}td,th{padding:.2rem .8rem .2rem 0;text-align:left}
tr.bad td{color:#b3261e;font-weight:600}
.score{font-size:1.6rem;font-weight:700}
${CHART_CSS}`;

export function renderReport(input: ReportInput): string {
  const { scenario, results: r } = input;
  const score = scoreRows(r, input.oracleDefaultShare);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Replay: ${esc(r.total_liquido.toFixed(2))}</title>
<style>
${STYLE}
</style></head><body>
<h1>Official scenario replayed against ${esc(input.backendUrl)}</h1>
<p class="score">score ${r.total_liquido.toFixed(2)}</p>
<p>${scenario.durationS} s, up to ${scenario.maxVus} virtual users, ${r.timestamp}. Dashed lines: stage changes.</p>
${charts(input)}
<h2>Score</h2><table>${keyValueRows(score)}</table>
<h2>Answers of POST /payments</h2>
<table><tr><th>answer</th><th>requests</th><th>share</th></tr>${outcomeRows(input.samples)}</table>
${instanceSection(input.run)}
<h2>Stages</h2><table><tr><th>at</th><th>default</th><th>fallback</th></tr>${stageRows(scenario)}</table>
${exposureSection(input.exposure)}
<h2>Consistency checks (ours / processor)</h2>
<table><tr><th>at</th><th>default</th><th>fallback</th><th>inconsistencies</th></tr>${checkRows(input.checks)}</table>
${runSection(input.run)}
</body></html>`;
}
