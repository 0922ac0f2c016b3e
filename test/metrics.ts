import t from 'tap';
import { LATENCY_BUCKETS, Metrics, mergeMetrics } from '../src/metrics';
import { seriesOfAFreshInstance, seriesValues } from './fixtures/fresh-metrics';

t.test('buckets from 0.1 ms, doubling; own registry per instance', async (t) => {
  t.equal(LATENCY_BUCKETS[0], 0.0001);
  t.equal(LATENCY_BUCKETS[1], 0.0002);
  t.ok(LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1] > 1, 'up to seconds');
  const a = new Metrics('a', false);
  const b = new Metrics('b');
  a.paymentRequests.inc({ processor: 'default', outcome: 'recorded' }, 3);
  const ra = await a.render();
  const rb = await b.render();
  t.match(ra.contentType, /text\/plain/);
  t.match(ra.body, /payment_requests_total\{processor="default",outcome="recorded",instance="a"\} 3/);
  t.notMatch(rb.body, /outcome="recorded",instance="b"\} [1-9]/, 'instances do not share counters');
  t.match(rb.body, /process_resident_memory_bytes/, 'default metrics when asked');
  for (const name of [
    'payment_duration_seconds',
    'health_check_failures_total',
    'processor_breaker_state',
    'payments_waiting',
    'payments_in_flight',
    'writer_batch_size',
    'writer_flush_seconds',
    'active_connections',
  ])
    t.match(ra.body, `# TYPE ${name} `, name);
});

t.test('every series of known labels exists at 0 once the front end and the core start', async (t) => {
  const frontEnd = new Metrics('app9', false);
  const core = new Metrics('app9', false);
  const { atZero, present } = seriesOfAFreshInstance('app9');
  const expected = [...atZero, ...present];
  const before = seriesValues((await mergeMetrics([await frontEnd.registry.getMetricsAsJSON()])).body, expected);
  t.ok(
    [...before.values()].some((v) => v === undefined),
    'labelled series are absent until something creates them',
  );

  frontEnd.startAtZero('front-end');
  core.startAtZero('core');
  const merged = await mergeMetrics([
    await frontEnd.registry.getMetricsAsJSON(),
    await core.registry.getMetricsAsJSON(),
  ]);
  for (const [series, value] of seriesValues(merged.body, expected)) t.equal(value, 0, series);

  // Starting at zero does not hide a count: the merged exposition still adds up what each part counted.
  frontEnd.paymentRequests.inc({ processor: 'none', outcome: 'accepted' }, 2);
  core.paymentRequests.inc({ processor: 'default', outcome: 'recorded' });
  const counted = await mergeMetrics([
    await frontEnd.registry.getMetricsAsJSON(),
    await core.registry.getMetricsAsJSON(),
  ]);
  const values = seriesValues(counted.body, expected);
  t.equal(values.get('payment_requests_total{processor="none",outcome="accepted",instance="app9"}'), 2);
  t.equal(values.get('payment_requests_total{processor="default",outcome="recorded",instance="app9"}'), 1);
});
