import t from 'tap';
import { LATENCY_BUCKETS, Metrics, mergeMetrics } from '../../src/shared/metrics';
import { seriesOfAFreshInstance, seriesValues } from '../fixtures/fresh-metrics';

t.test('buckets from 0.1 ms, doubling; own registry per instance', async (t) => {
  t.equal(LATENCY_BUCKETS[0], 0.0001);
  t.equal(LATENCY_BUCKETS[1], 0.0002);
  t.ok(LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1] > 1, 'up to seconds');
  const a = new Metrics('a', false);
  const b = new Metrics('b');
  a.processorRequests.inc({ processor: 'default', outcome: 'recorded' }, 3);
  const ra = await a.render();
  const rb = await b.render();
  t.match(ra.contentType, /text\/plain/);
  t.match(ra.body, /rinha_processor_requests_total\{processor="default",outcome="recorded",instance_id="a"\} 3/);
  t.notMatch(rb.body, /outcome="recorded",instance_id="b"\} [1-9]/, 'instances do not share counters');
  t.match(rb.body, /process_resident_memory_bytes/, 'default metrics when asked');
  t.notMatch(ra.body, /^[^#].*\binstance="/m, 'no `instance` label of its own: Prometheus sets that one');
  for (const name of [
    'payment_requests_total',
    'payment_duration_seconds',
    'active_connections',
    'health_check_failures_total',
    'rinha_processor_requests_total',
    'rinha_processor_request_duration_seconds',
    'rinha_processor_open_connections',
    'rinha_processor_breaker_state',
    'rinha_payments_waiting',
    'rinha_payments_in_flight',
    'rinha_payments_not_durable',
    'rinha_payments_held',
    'rinha_claim_failures_total',
    'rinha_claim_store_memory_used_bytes',
    'rinha_claim_store_memory_cap_bytes',
    'rinha_writer_batch_rows',
    'rinha_writer_flush_seconds',
    'rinha_writer_lag_seconds',
  ])
    t.match(ra.body, `# TYPE ${name} `, name);
  const names = [...ra.body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
  const contract = [
    'payment_requests_total',
    'payment_duration_seconds',
    'active_connections',
    'health_check_failures_total',
  ];
  t.same(
    names.filter((n) => !n.startsWith('rinha_') && !contract.includes(n)),
    [],
    'every name but the four of the contract starts with rinha_',
  );
});

t.test("Node's process-wide metrics come from one thread only", async (t) => {
  const main = new Metrics('m', { thread: 'main', processWide: true });
  const core = new Metrics('m', { thread: 'core', processWide: false });
  const merged = (await mergeMetrics([await main.json(), await core.json()])).body;
  const rss = merged.split('\n').filter((l) => l.startsWith('process_resident_memory_bytes{'));
  t.equal(rss.length, 1, 'one resident memory series');
  t.match(rss[0], /thread="main"/);
  const lag = merged.split('\n').filter((l) => l.startsWith('nodejs_eventloop_lag_p99_seconds{'));
  t.same(
    lag.map((l) => /thread="(\w+)"/.exec(l)?.[1]).sort(),
    ['core', 'main'],
    'per-thread ones from each thread, side by side',
  );
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
  frontEnd.paymentRequests.inc({ outcome: 'accepted' }, 2);
  core.processorRequests.inc({ processor: 'default', outcome: 'recorded' });
  const counted = await mergeMetrics([
    await frontEnd.registry.getMetricsAsJSON(),
    await core.registry.getMetricsAsJSON(),
  ]);
  const values = seriesValues(counted.body, expected);
  t.equal(values.get('payment_requests_total{outcome="accepted",instance_id="app9"}'), 2);
  t.equal(values.get('rinha_processor_requests_total{processor="default",outcome="recorded",instance_id="app9"}'), 1);
});
