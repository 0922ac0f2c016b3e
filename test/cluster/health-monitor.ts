import t from 'tap';
import { HealthMonitor } from '../../src/cluster/health-monitor';
import type { SharedHealth } from '../../src/domain/payment';
import { silentLogger } from '../../src/shared/log';
import type { HealthResult } from '../../src/domain/processor-answers';
import { scratchRedis } from '../fixtures/pipeline';

const { redis, prefix } = scratchRedis(t, 'health');

function source(answer: () => HealthResult) {
  const s = { calls: 0, health: async () => (s.calls++, answer()) };
  return s;
}

t.test('two instances: one check per interval in total, the same health delivered to both', async (t) => {
  const d = source(() => ({ kind: 'health', health: { failing: false, minResponseTime: 7 } }));
  const f = source(() => ({ kind: 'health', health: { failing: true, minResponseTime: 0 } }));
  const seen: Record<string, SharedHealth[]> = { a: [], b: [] };
  const monitors = ['a', 'b'].map(
    (id) =>
      new HealthMonitor({
        redis,
        prefix: `${prefix}1:`,
        instanceId: id,
        intervalMs: 300,
        pollMs: 50,
        processors: { default: d, fallback: f },
        onHealth: (p, h) => p === 'default' && seen[id].push(h),
        log: silentLogger,
      }),
  );
  const started = Date.now();
  monitors.forEach((m) => m.start());
  await new Promise((r) => setTimeout(r, 1000));
  monitors.forEach((m) => m.stop());
  const elapsed = Date.now() - started;
  t.ok(
    d.calls >= 2 && d.calls <= Math.ceil(elapsed / 300) + 1,
    `default checked ${d.calls} times in ${elapsed} ms by both together`,
  );
  t.ok(f.calls >= 2 && f.calls <= Math.ceil(elapsed / 300) + 1, `fallback checked ${f.calls} times`);
  t.ok(seen.a.length > 0 && seen.b.length > 0, 'both instances heard');
  const last = (xs: SharedHealth[]) => xs[xs.length - 1];
  const shared = seen.a.filter((h) => seen.b.some((x) => x.checkedAt === h.checkedAt && x.checkedBy === h.checkedBy));
  t.ok(
    shared.length >= Math.min(seen.a.length, seen.b.length) - 1,
    `the same reports reach both (${shared.length} shared of ${seen.a.length}/${seen.b.length}; the last may ` +
      `differ at stop)`,
  );
  t.match(last(seen.a), { failing: false, minResponseTime: 7, checkedBy: /^(a|b)$/ });
  for (const xs of Object.values(seen))
    t.ok(
      xs.every((h, i) => i === 0 || h.checkedAt > xs[i - 1].checkedAt),
      'each report delivered once',
    );
});

t.test('rate-limited or unreachable checks are reported and do not overwrite the stored health', async (t) => {
  let answer: HealthResult = { kind: 'health', health: { failing: false, minResponseTime: 3 } };
  const d = source(() => answer);
  const failed: string[] = [];
  const heard: SharedHealth[] = [];
  const m = new HealthMonitor({
    redis,
    prefix: `${prefix}2:`,
    instanceId: 'solo',
    intervalMs: 50,
    pollMs: 1000,
    processors: { default: d, fallback: source(() => ({ kind: 'unreachable' })) },
    onHealth: (p, h) => p === 'default' && heard.push(h),
    onCheckFailed: (p, reason) => failed.push(`${p}:${reason}`),
    log: silentLogger,
  });
  await m.round();
  answer = { kind: 'rate-limited' };
  await new Promise((r) => setTimeout(r, 60));
  await m.round();
  t.same(failed.sort(), ['default:rate-limited', 'fallback:unreachable', 'fallback:unreachable']);
  t.equal(heard.length, 1, 'only the real report was delivered');
  t.equal(
    (JSON.parse((await redis.get(`${prefix}2:health:default`))!) as { minResponseTime: number }).minResponseTime,
    3,
    'the stored health is still the last real one',
  );
});
