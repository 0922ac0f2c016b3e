import t from 'tap';
import { ProcessorStatus } from '../../../src/actors/processor/status';

const options = { failureThreshold: 2, cooldownMs: 500, horizonMs: 1500, slowMarginMs: 30 };
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

t.test('a payment unanswered a margin past the expected delay marks it slow before the horizon', async (t) => {
  const { s } = make();
  for (const ms of [103, 101, 105, 103]) s.onAttempt('recorded', ms);
  const after = s.slowAfterMs();
  t.ok(after >= 133 && after < 150, `the expected delay plus the 30 ms margin, the spread being small (${after})`);
  s.onInFlightAge(after - 1);
  t.equal(s.unavailable(), null);
  s.onInFlightAge(after);
  t.equal(s.unavailable(), 'slowing', 'a 103 ms processor is slowing once a payment is unanswered past that');
  const other = make().s;
  other.onHealth(health(false, 1000, 20_000));
  t.equal(other.slowAfterMs(), 1030, 'expected 1000 ms + 30 ms margin');
  other.onHealth(health(false, 1490, 20_001));
  t.equal(other.slowAfterMs(), 1500, 'never past the horizon');
});

t.test('answers that spread widely widen the margin: four times their spread', async (t) => {
  const { s } = make();
  for (let i = 0; i < 40; i++) s.onAttempt('recorded', i % 2 === 0 ? 50 : 150);
  const after = s.slowAfterMs();
  t.ok(after > 100 + 4 * 40, `answers 50 ms either side of 100: well past 100 + 30 (${after})`);
});

t.test('found slow by payments on their way: no probe until their answers, or a fresh report, say', async (t) => {
  const { c, s } = make();
  for (const ms of [103, 103, 103]) s.onAttempt('recorded', ms);
  for (let i = 0; i < 5; i++) s.onSend(); // five payments go out just as it turns to 2000 ms
  s.onInFlightAge(140);
  t.equal(s.unavailable(), 'slowing', 'slowing: payments wait for default, how slow it is not known yet');
  c.now += 600;
  s.onInFlightAge(740);
  t.equal(s.breaker.state, 'half-open', 'the cool-down is over');
  t.equal(s.allowance(), 0, 'no probe: the five on their way will tell how slow it is');
  s.onHealth(health(false, 103, c.now - 1000));
  t.equal(s.allowance(), 0, 'a report from before it turned slow says nothing');
  c.now += 800;
  s.onInFlightAge(1540);
  t.equal(s.estimatedDelayMs(), 1540, 'ages keep raising the estimate while it is open');
  t.equal(s.unavailable(), 'slow', 'past the horizon: slow, and fallback takes its payments');
  for (let i = 0; i < 5; i++) s.onAttempt('recorded', 2001);
  t.equal(s.allowance(), 0, 'their answers: 2 s, past the horizon: still none');
  s.onHealth(health(false, 0, c.now + 1));
  t.equal(s.allowance(), Infinity, 'a fresh report of a fast processor reopens it');
});

t.test('failing with a delay at or above the horizon: no probe, since it may recover during the delay', async (t) => {
  const { c, s } = make();
  s.onHealth(health(true, 5000, c.now));
  c.now += 600;
  t.equal(s.breaker.state, 'half-open');
  t.equal(s.allowance(), 0, 'a probe would be recorded 5 s later should it stop failing meanwhile');
  s.onHealth(health(true, 100, c.now + 1));
  c.now += 600;
  t.equal(s.allowance(), 1, 'failing with a short delay: one probe per cool-down');
});

t.test('found slow, then answers below the horizon: open again, the estimate starting from them', async (t) => {
  const { s } = make();
  s.onAttempt('recorded', 2);
  s.onSend();
  s.onInFlightAge(40);
  t.equal(s.unavailable(), 'slowing', '0 ms turned 1000 ms: slowing after 32 ms');
  s.onAttempt('recorded', 1001);
  t.equal(s.unavailable(), null, 'its answer, below the horizon, closes it');
  t.equal(s.estimatedDelayMs(), 1001, 'the estimate is what it answers now, not an average with 40 ms');
  t.equal(s.slowAfterMs(), 1031);
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
