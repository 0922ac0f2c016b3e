import t from 'tap';
import { CircuitBreaker } from '../../../src/actors/processor/circuit-breaker';

function clock() {
  const c = { now: 0, fn: () => c.now };
  return c;
}

t.test('opens after N consecutive failures; a success in between resets the count', async (t) => {
  const c = clock();
  const b = new CircuitBreaker(3, 500, c.fn);
  b.onFailure();
  b.onFailure();
  b.onSuccess();
  b.onFailure();
  b.onFailure();
  t.equal(b.state, 'closed');
  t.equal(b.allowance(), Infinity);
  b.onFailure();
  t.equal(b.state, 'open');
  t.equal(b.allowance(), 0);
  t.equal(b.msUntilProbe(), 500);
});

t.test('half-opens after the cool-down with one probe; its success closes, its failure reopens', async (t) => {
  const c = clock();
  const b = new CircuitBreaker(1, 500, c.fn);
  b.onFailure();
  c.now = 499;
  t.equal(b.state, 'open');
  c.now = 500;
  t.equal(b.state, 'half-open');
  t.equal(b.allowance(), 1);
  b.onSend();
  t.equal(b.allowance(), 0, 'one probe at a time');
  b.onFailure();
  t.equal(b.state, 'open', 'a failed probe reopens');
  t.equal(b.snapshot().openedAt, 500);
  c.now = 1000;
  b.onSend();
  b.onSuccess();
  t.equal(b.state, 'closed');
  t.equal(b.closedAt, 1000, 'remembers when it closed');
  t.same(b.snapshot(), { state: 'closed', consecutiveFailures: 0, openedAt: null, msUntilProbe: 0 });
});

t.test('trip opens at once', async (t) => {
  const c = clock();
  const b = new CircuitBreaker(5, 100, c.fn);
  b.trip();
  t.equal(b.state, 'open');
  c.now = 100;
  t.equal(b.msUntilProbe(), 0);
  t.equal(b.state, 'half-open');
  t.equal(new CircuitBreaker(1, 1).msUntilProbe(), 0, 'closed: nothing to wait for');
});
