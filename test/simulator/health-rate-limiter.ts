import t from 'tap';
import { FixedWindowLimiter } from '../../tools/simulator/health-rate-limiter';

t.test('one permit per fixed window; two callers queue for the next windows; the rest are refused', async (t) => {
  // The limiter's clock is the test's: each caller's answer is stamped with the window it came in.
  let now = 1000;
  const limiter = new FixedWindowLimiter(200, 2, () => now);
  t.teardown(() => limiter.close());
  const answers: { name: string; ok: boolean; at: number }[] = [];
  const all = Promise.all(
    ['a', 'b', 'c', 'd', 'e'].map((name) => limiter.acquire().then((ok) => void answers.push({ name, ok, at: now }))),
  );
  await new Promise((r) => setImmediate(r));
  t.same(
    answers,
    [
      { name: 'a', ok: true, at: 1000 },
      { name: 'd', ok: false, at: 1000 },
      { name: 'e', ok: false, at: 1000 },
    ],
    'the first passes at once, the fourth and fifth are refused at once',
  );
  now = 1200;
  await new Promise<void>((r) => {
    const waitForB = () => (answers.length === 4 ? r() : setTimeout(waitForB, 5));
    waitForB();
  });
  now = 1400;
  await all;
  t.same(
    answers.slice(3),
    [
      { name: 'b', ok: true, at: 1200 },
      { name: 'c', ok: true, at: 1400 },
    ],
    'the two queued are served oldest first, one per window',
  );
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
