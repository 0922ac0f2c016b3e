import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { Deadlines } from '../src/deadlines';

t.test('a deadline aborts its signal once its time has passed, not before', async (t) => {
  const deadlines = new Deadlines(10);
  const started = performance.now();
  const d = deadlines.start(60);
  let after = NaN;
  d.signal.addEventListener('abort', () => (after = performance.now() - started));
  await sleep(30);
  t.notOk(d.signal.aborted, 'not at half its time');
  // (The checking timer is unref'd: this sleep is what keeps the test's process up meanwhile.)
  await sleep(150);
  t.ok(after >= 59 && after < 200, `aborted after ${after.toFixed(0)} ms`);
  t.equal((d.signal.reason as DOMException).name, 'TimeoutError', 'as AbortSignal.timeout says it');
  t.equal(deadlines.size, 0, 'forgotten once aborted');
});

t.test('a request that finishes in time is never aborted, and leaves nothing behind', async (t) => {
  const deadlines = new Deadlines(5);
  const fast = deadlines.start(30);
  const slow = deadlines.start(30);
  deadlines.finish(fast);
  t.equal(deadlines.size, 1);
  await sleep(60);
  t.notOk(fast.signal.aborted, 'finished in time');
  t.ok(slow.signal.aborted, 'the other one ran out');
  t.equal(deadlines.size, 0);
  deadlines.finish(slow); // finishing after the abort is harmless
  t.equal(deadlines.size, 0);
});

t.test('many deadlines of different lengths each abort at their own time', async (t) => {
  const deadlines = new Deadlines(5);
  const order: number[] = [];
  for (const ms of [50, 10, 30]) deadlines.start(ms).signal.addEventListener('abort', () => order.push(ms));
  await sleep(100);
  t.same(order, [10, 30, 50]);
});
