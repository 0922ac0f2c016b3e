import t from 'tap';
import { FixedWindowLimiter } from '../../src/simulator/health-rate-limiter';

t.test('one permit per fixed window; two callers queue for the next windows; the rest are refused', async (t) => {
  const limiter = new FixedWindowLimiter(200, 2);
  t.teardown(() => limiter.close());
  const started = Date.now();
  const order: string[] = [];
  const results = await Promise.all(
    ['a', 'b', 'c', 'd', 'e'].map((name) =>
      limiter.acquire().then((ok) => {
        order.push(name);
        return { name, ok, at: Date.now() - started };
      }),
    ),
  );
  t.same(
    results.map((r) => r.ok),
    [true, true, true, false, false],
    'first now, two queued, two refused',
  );
  t.ok(results[0].at < 100, `the first passes at once (${results[0].at} ms)`);
  t.ok(results[1].at >= 190, `the second waits for the next window (${results[1].at} ms)`);
  t.ok(results[2].at >= 390, `the third for the one after (${results[2].at} ms)`);
  t.same(order, ['a', 'd', 'e', 'b', 'c'], 'refused callers are answered at once; queued ones are served oldest first');
});

t.test('a window that passed unused gives its permit to the next caller at once', async (t) => {
  let now = 1000;
  const limiter = new FixedWindowLimiter(5000, 2, () => now);
  t.teardown(() => limiter.close());
  t.equal(await limiter.acquire(), true);
  now += 12_000;
  t.equal(await limiter.acquire(), true, 'new window: allowed immediately');
});

t.test('close refuses whoever is still waiting', async (t) => {
  const limiter = new FixedWindowLimiter(10_000, 2);
  t.equal(await limiter.acquire(), true);
  const waiting = limiter.acquire();
  limiter.close();
  t.equal(await waiting, false);
});
