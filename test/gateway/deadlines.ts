import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { Deadlines } from '../../src/gateway/deadlines';

// The clock is the test's: a deadline's time passes when the test says so, however busy the machine is. The
// checking timer is real (every 2 ms); `ticks()` waits long enough for it to have run a few times.
function clocked() {
  const clock = { ms: 1000 };
  const deadlines = new Deadlines(2, () => clock.ms);
  const ticks = () => sleep(20);
  return { clock, deadlines, ticks };
}

t.test('a deadline aborts its signal once its time has passed, not before', async (t) => {
  const { clock, deadlines, ticks } = clocked();
  const d = deadlines.start(60);
  clock.ms += 59;
  await ticks();
  t.notOk(d.signal.aborted, 'not a millisecond before its time');
  clock.ms += 1;
  await ticks();
  t.ok(d.signal.aborted, 'aborted at its time');
  t.equal((d.signal.reason as DOMException).name, 'TimeoutError', 'as AbortSignal.timeout says it');
  t.equal(deadlines.size, 0, 'forgotten once aborted');
});

t.test('a request that finishes in time is never aborted, and leaves nothing behind', async (t) => {
  const { clock, deadlines, ticks } = clocked();
  const fast = deadlines.start(30);
  const slow = deadlines.start(30);
  deadlines.finish(fast);
  t.equal(deadlines.size, 1);
  clock.ms += 31;
  await ticks();
  t.notOk(fast.signal.aborted, 'finished in time');
  t.ok(slow.signal.aborted, 'the other one ran out');
  t.equal(deadlines.size, 0);
  deadlines.finish(slow); // finishing after the abort is harmless
  t.equal(deadlines.size, 0);
});

t.test('many deadlines of different lengths each abort at their own time', async (t) => {
  const { clock, deadlines, ticks } = clocked();
  const order: number[] = [];
  for (const ms of [50, 10, 30]) deadlines.start(ms).signal.addEventListener('abort', () => order.push(ms));
  const seen: number[][] = [];
  for (const step of [10, 20, 20]) {
    clock.ms += step;
    await ticks();
    seen.push([...order]);
  }
  t.same(seen, [[10], [10, 30], [10, 30, 50]], 'at 10 ms the first, at 30 the second, at 50 the last');
});

t.test('a tracked time-out says how long it has left, by the same clock', async (t) => {
  const { clock, deadlines } = clocked();
  let late = 0;
  const d = deadlines.track(50, () => late++);
  t.equal(deadlines.msLeft(d), 50);
  clock.ms += 45;
  t.equal(deadlines.msLeft(d), 5, 'five left');
  clock.ms += 10;
  t.equal(deadlines.msLeft(d), -5, 'due: called at the next check');
  deadlines.finish(d);
  t.equal(late, 0);
});
