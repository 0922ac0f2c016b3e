import t from 'tap';
import { LatencyHistogram } from '../../tools/replay/latency-histogram';
import { k6Percentile, sortedCopy } from '../../tools/kit/percentile';

t.test('percentiles within 1 % above the exact ones, over a spread of latencies', async (t) => {
  const h = new LatencyHistogram();
  const all: number[] = [];
  // A long-tailed mix, as a replay sees: most answers well under a millisecond, some tens of ms.
  for (let i = 0; i < 50_000; i++) {
    const ms = i % 100 === 0 ? 5 + (i % 7) * 9.3 : 0.05 + ((i * 7919) % 1000) / 700;
    h.add(ms);
    all.push(ms);
  }
  const sorted = sortedCopy(all);
  t.equal(h.count, 50_000);
  for (const p of [50, 90, 99, 99.9]) {
    const exact = sorted[Math.ceil((p / 100) * sorted.length) - 1];
    const approx = h.percentile(p);
    t.ok(
      approx >= exact && approx <= exact * 1.01,
      `p${p}: ${approx} vs exact ${exact} (k6 interpolates: ${k6Percentile(sorted, p)})`,
    );
  }
});

t.test('no samples, tiny and huge latencies', async (t) => {
  const h = new LatencyHistogram();
  t.equal(h.percentile(99), 0, 'nothing measured yet');
  h.add(0);
  t.equal(h.percentile(50), 0.001, 'at or under 1 µs falls in the first bucket');
  h.add(10_000_000);
  t.ok(h.percentile(100) >= 300_000 * 0.99, 'past the last bucket counts in the last one');
});
