import t from 'tap';
import { failuresPerSecond, perSecond, renderReport } from '../../tools/replay/report';
import { lineChart } from '../../tools/kit/chart';
import { scaledScenario } from '../../tools/replay/scenario';
import { finalResults } from '../../tools/replay/score';

t.test('per-second buckets take only successful payments', async (t) => {
  const b = perSecond(
    [
      { t: 0.1, ms: 1, kind: 'payment', ok: true, outcome: 'ok' },
      { t: 0.5, ms: 3, kind: 'payment', ok: true, outcome: 'ok' },
      { t: 0.6, ms: 50, kind: 'payment', ok: false, outcome: 'refused' },
      { t: 0.7, ms: 80, kind: 'summary', ok: true, outcome: 'ok' },
      { t: 1.2, ms: 2, kind: 'payment', ok: true, outcome: 'ok' },
    ],
    2,
  );
  t.same(
    b.map((x) => x.count),
    [2, 1, 0],
  );
  t.equal(b[0].p50, 2);
});

const input = {
  participant: 'x',
  maxRequests: 60,
  p99Ms: 2.5,
  paymentsSucceeded: 3,
  paymentsFailed: 0,
  inconsistencies: 1,
  default: { totalRequests: 2, totalAmount: 40.1, feePerTransaction: 0.05 },
  fallback: { totalRequests: 1, totalAmount: 20.05, feePerTransaction: 0.15 },
};

t.test('the page has the four charts, the stage lines and the score', async (t) => {
  const scenario = scaledScenario(0.1);
  const results = finalResults(input);
  const html = renderReport({
    scenario,
    samples: [
      { t: 1, ms: 1.5, kind: 'payment', ok: true, outcome: 'ok' },
      { t: 2, ms: 2.5, kind: 'payment', ok: true, outcome: 'ok' },
    ],
    timeline: [
      { t: 0, default: 0, fallback: 0 },
      { t: 1, default: 2, fallback: 1 },
    ],
    checks: [
      {
        t: 5,
        from: 'a',
        to: 'b',
        ours: { default: 1, fallback: 0 },
        theirs: { default: 2, fallback: 0 },
        inconsistencies: 1,
      },
    ],
    results,
    backendUrl: 'http://backend<&>',
  });
  t.equal((html.match(/<svg /g) ?? []).length, 4, 'four charts');
  t.equal(
    (html.match(/class="stage"/g) ?? []).length,
    4 * scenario.stages.length,
    'every stage change drawn on every chart',
  );
  t.match(html, /score \d+\.\d\d/);
  t.match(html, /<tr class="bad">/, 'an inconsistent check is highlighted');
  t.match(html, /http:\/\/backend&#60;&#38;&#62;/, 'text is escaped');
  t.match(html, /Exposure<\/h2><p>Not measured/, 'an exposure not measured says so');
  t.match(
    lineChart('empty', [{ name: 'none', color: '#000', points: [] }], { xMax: 10, yLabel: 'y', stages: [] }),
    /<svg/,
  );
});

t.test('the exposure: one row per stage with late payments, and the chance for a 10 s checker', async (t) => {
  const scenario = scaledScenario(0.1);
  const stage = { atS: 270, latePayments: 3, exposedMs: 12, worstLateMs: 2011 };
  const exposure = { latePayments: 3, exposedMs: 12, officialCheckerChance: 0.0012, truncated: false, stages: [stage] };
  const withExposure = finalResults({ ...input, exposure });
  const exposed = renderReport({
    scenario,
    samples: [],
    timeline: [],
    checks: [],
    results: withExposure,
    backendUrl: 'x',
    exposure: withExposure.exposicao,
  });
  t.match(exposed, /Exposure: 12 ms \(a 10 s checker lands in it with chance 0\.12%\)/);
  t.match(exposed, /<td>270\.0 s<\/td><td>12 ms<\/td><td>3<\/td><td>2011 ms<\/td>/, 'one row per exposed stage');
});

t.test('answers that were not 2xx: per second and outcome, and in all', async (t) => {
  const samples = [
    { t: 0.2, ms: 1, kind: 'payment', ok: true, outcome: 'ok' },
    { t: 0.3, ms: 1, kind: 'payment', ok: false, outcome: 'refused' },
    { t: 1.5, ms: 1, kind: 'payment', ok: false, outcome: 'refused' },
    { t: 1.6, ms: 1, kind: 'payment', ok: false, outcome: 'failed' },
    { t: 1.7, ms: 9000, kind: 'payment', ok: false, outcome: 'timeout' },
    { t: 1.8, ms: 1, kind: 'summary', ok: false, outcome: 'refused' },
  ] as const;
  t.same(failuresPerSecond([...samples], 2), { refused: [1, 1, 0], failed: [0, 1, 0], timeout: [0, 1, 0] });
  const html = renderReport({
    scenario: scaledScenario(0.1),
    samples: [...samples],
    timeline: [],
    checks: [],
    results: finalResults(input),
    backendUrl: 'http://x',
    run: {
      commit: 'abc123def456',
      node: 'v20.0.0',
      options: [
        ['scale', '0.1'],
        ['token', '(given)'],
      ],
      instances: [
        { instance: 'app1', accepted: 10, refused: 2, rejectedInput: 1, p99AtMostMs: 0.4 },
        { instance: 'app2', accepted: 12, refused: 0, rejectedInput: 0, p99AtMostMs: null },
      ],
    },
  });
  t.match(html, /<tr><td>2xx<\/td><td>1<\/td><td>20\.00 %<\/td><\/tr>/, 'the share of each answer');
  t.match(html, /<tr class="bad"><td>503 \(refused, to retry\)<\/td><td>2<\/td><td>40\.00 %/);
  t.match(html, /<td>no answer in time<\/td><td>1<\/td>/);
  t.match(html, /<th>commit<\/th><td>abc123def456<\/td>/, 'the commit of the run');
  t.match(html, /<th>scale<\/th><td>0\.1<\/td>/, 'and its options');
  t.match(html, /<td>app1<\/td><td>10<\/td><td>2<\/td><td>1<\/td><td>≤ 0\.40 ms<\/td>/, 'one row per instance');
  t.match(html, /<td>app2<\/td><td>12<\/td><td>0<\/td><td>0<\/td><td>-<\/td>/);
  const none = renderReport({
    scenario: scaledScenario(0.1),
    samples: [],
    timeline: [],
    checks: [],
    results: finalResults(input),
    backendUrl: 'http://x',
    run: { commit: 'not a git checkout', node: 'v20', options: [], instances: [] },
  });
  t.match(none, /No instance answered at \/instances\/&lt;name&gt;\/metrics/, 'no split, and why');
});
