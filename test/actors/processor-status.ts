import t from 'tap';
import { ProcessorStatus } from '../../src/actors/processor-status';

const options = { failureThreshold: 2, cooldownMs: 500, horizonMs: 1500, slowMarginMs: 250, slowFloorMs: 400 };
function make() {
  const c = { now: 10_000 };
  return { c, s: new ProcessorStatus(options, () => c.now) };
}
const health = (failing: boolean, delay: number, checkedAt: number) => ({
  failing,
  minResponseTime: delay,
  checkedAt,
  checkedBy: 'x',
});

t.test('failures open it with reason failing', async (t) => {
  const { s } = make();
  s.onAttempt('rejected', 5);
  t.equal(s.unavailable(), null);
  s.onAttempt('unknown', 5);
  t.equal(s.unavailable(), 'failing');
  t.equal(s.allowance(), 0);
});

t.test(
  'an answer slower than the horizon opens it with reason slow and blocks probes until health says fast',
  async (t) => {
    const { c, s } = make();
    s.onAttempt('recorded', 1600);
    t.equal(s.unavailable(), 'slow');
    c.now += 600;
    t.equal(s.breaker.state, 'half-open');
    t.equal(s.allowance(), 0, 'no probe: it is known to take 1.6 s, a probe would be recorded late');
    s.onHealth(health(false, 20, c.now + 1));
    t.equal(s.unavailable(), null, 'a fresh healthy report closes it');
    t.equal(s.allowance(), Infinity);
  },
);

t.test('health failing or slow trips it; stale reports are ignored; old reports do not close it', async (t) => {
  const { c, s } = make();
  s.onHealth(health(true, 0, c.now));
  t.equal(s.unavailable(), 'failing');
  s.onHealth(health(false, 0, c.now - 1000));
  t.equal(s.unavailable(), 'failing', 'an older report changes nothing');
  c.now += 10;
  s.onHealth(health(false, 2000, c.now));
  t.equal(s.unavailable(), 'slow');
  t.equal(s.estimatedDelayMs(), 2000);
  t.same(s.snapshot().health, health(false, 2000, c.now));
});

t.test('a payment unanswered well past the expected delay marks it slow before the horizon', async (t) => {
  const { s } = make();
  s.onAttempt('recorded', 100);
  t.equal(s.slowAfterMs(), 400, 'floor 400 ms when the expected delay is small');
  s.onInFlightAge(399);
  t.equal(s.unavailable(), null);
  s.onInFlightAge(400);
  t.equal(s.unavailable(), 'slow');
  const other = make().s;
  other.onHealth(health(false, 1000, 20_000));
  t.equal(other.slowAfterMs(), 1250, 'expected 1000 ms + 250 ms margin');
  other.onHealth(health(false, 1400, 20_001));
  t.equal(other.slowAfterMs(), 1500, 'never past the horizon');
});

t.test('successes keep a moving average of the delay: one slow answer moves it, but not all the way', async (t) => {
  const { s } = make();
  s.onAttempt('recorded', 100);
  t.equal(s.estimatedDelayMs(), 100, 'the first answer is the estimate');
  s.onAttempt('recorded', 200);
  const moved = s.estimatedDelayMs();
  t.ok(moved > 100 && moved < 200, `between the old estimate and the new answer (${moved})`);
  for (let i = 0; i < 50; i++) s.onAttempt('recorded', 200);
  t.ok(
    Math.abs(s.estimatedDelayMs() - 200) < 1,
    `answers that stay at 200 ms bring it there (${s.estimatedDelayMs()})`,
  );
  s.onSend();
  t.equal(s.snapshot().breaker.state, 'closed');
});
