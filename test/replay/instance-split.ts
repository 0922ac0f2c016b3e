import t from 'tap';
import { parseCounters, splitOf } from '../../tools/replay/instance-split';

/** An instance's /metrics, as prom-client writes it, after `accepted` payments answered within those buckets. */
const metrics = (accepted: number, refused: number, within: Record<string, number>) => `
# HELP payment_requests_total x
# TYPE payment_requests_total counter
payment_requests_total{outcome="accepted",instance_id="app1"} ${accepted}
payment_requests_total{outcome="rejected_input",instance_id="app1"} 3
payment_requests_total{outcome="refused",instance_id="app1"} ${refused}
rinha_processor_requests_total{processor="default",outcome="recorded",instance_id="app1"} 999
${Object.entries(within)
  .map(([le, n]) => `payment_duration_seconds_bucket{le="${le}",instance_id="app1"} ${n}`)
  .join('\n')}
rinha_processor_request_duration_seconds_bucket{le="0.0001",processor="default",instance_id="app1"} 12345
`;

t.test("an instance's counters from its metrics: the front end's only", async (t) => {
  const c = parseCounters(metrics(100, 5, { '0.0001': 10, '0.0002': 90, '+Inf': 105 }));
  t.equal(c.accepted, 100);
  t.equal(c.refused, 5);
  t.equal(c.rejectedInput, 3);
  t.same(
    [...c.buckets],
    [
      [0.0001, 10],
      [0.0002, 90],
      [Infinity, 105],
    ],
  );
});

t.test('what each instance answered between two readings, with the bucket that holds its p99', async (t) => {
  const before = new Map([
    ['app1', parseCounters(metrics(100, 5, { '0.0001': 10, '0.0002': 90, '0.0004': 100, '+Inf': 105 }))],
    ['app2', parseCounters(metrics(500, 0, { '0.0001': 0, '0.0002': 0, '0.0004': 500, '+Inf': 500 }))],
  ]);
  const after = new Map([
    // 1,000 more answers: 990 within 0.2 ms, all within 0.4 ms.
    ['app1', parseCounters(metrics(1100, 5, { '0.0001': 10, '0.0002': 1080, '0.0004': 1100, '+Inf': 1105 }))],
    // Restarted: its counters went down, so they count from zero.
    ['app2', parseCounters(metrics(40, 0, { '0.0001': 40, '0.0002': 40, '0.0004': 40, '+Inf': 40 }))],
    // New since the first reading.
    ['app3', parseCounters(metrics(7, 1, { '0.0001': 0, '0.0002': 0, '0.0004': 0, '+Inf': 8 }))],
  ]);
  t.same(splitOf(before, after), [
    { instance: 'app1', accepted: 1000, refused: 0, rejectedInput: 0, p99AtMostMs: 0.2 },
    { instance: 'app2', accepted: 40, refused: 0, rejectedInput: 3, p99AtMostMs: 0.1 },
    { instance: 'app3', accepted: 7, refused: 1, rejectedInput: 3, p99AtMostMs: Infinity },
  ]);
  t.same(splitOf(after, after)[0].p99AtMostMs, null, 'no answers in between: no p99');
});
