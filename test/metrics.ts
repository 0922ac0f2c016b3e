import t from 'tap';
import { LATENCY_BUCKETS, Metrics } from '../src/metrics';

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
  t.notMatch(rb.body, /outcome="recorded"/, 'instances do not share counters');
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
