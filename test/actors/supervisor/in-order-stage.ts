import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { InOrderStage, type StageDriver } from '../../../src/actors/supervisor/in-order-stage';

/** What the stage's actor does for it, without the actor: outcomes and wake-ups come straight back. */
function directDriver<R>(stage: () => InOrderStage<never, R>): StageDriver<R> {
  let timer: NodeJS.Timeout | undefined;
  return {
    pipe: (work) =>
      void work.then(
        (result) => stage().answered({ ok: true, result }),
        (err: unknown) => stage().answered({ ok: false, err }),
      ),
    wakeIn: (ms) => (timer = setTimeout(() => stage().wake(), ms)),
    cancelWake: () => clearTimeout(timer),
  };
}

function stage(run: (items: number[]) => Promise<string>, maxWeight = 100) {
  const done: [number[], string][] = [];
  const failed: number[][] = [];
  const s: InOrderStage<number, string> = new InOrderStage<number, string>(
    {
      run,
      done: (items, r) => done.push([items, r]),
      failed: (items) => failed.push(items),
      retryMs: 20,
      maxWeight,
      weight: (n) => n,
    },
    directDriver(() => s as InOrderStage<never, string>),
  );
  return { s, done, failed };
}

t.test('one request at a time; what arrives meanwhile goes together next, in order', async (t) => {
  const calls: number[][] = [];
  let open: (() => void) | null = null;
  const { s, done } = stage(async (items) => {
    calls.push(items);
    if (calls.length === 1) await new Promise<void>((r) => (open = r));
    return `r${calls.length}`;
  });
  s.push([1]);
  s.push([2, 3]);
  s.push([4]);
  t.same(calls, [[1]]);
  t.equal(s.weight, 10, 'the weight of everything not through');
  t.same(s.items(), [1, 2, 3, 4], 'oldest first, the running one included');
  open!();
  await sleep(10);
  t.same(calls, [[1], [2, 3, 4]]);
  t.same(done, [
    [[1], 'r1'],
    [[2, 3, 4], 'r2'],
  ]);
  t.equal(s.weight, 0);
});

t.test('a request carries at most maxWeight, but always one item', async (t) => {
  const calls: number[][] = [];
  let open: (() => void) | null = null;
  const { s } = stage(async (items) => {
    calls.push(items);
    if (calls.length === 1) await new Promise<void>((r) => (open = r));
    return '';
  }, 5);
  s.push([1]);
  s.push([2, 3, 9, 1]);
  open!();
  await sleep(20);
  t.same(calls, [[1], [2, 3], [9], [1]]);
});

t.test('a failed request is tried again after retryMs, its items first; stop ends the retries', async (t) => {
  let failures = 2;
  const calls: number[][] = [];
  const { s, failed, done } = stage(async (items) => {
    calls.push(items);
    if (failures-- > 0) throw new Error('down');
    return 'ok';
  });
  s.push([1]);
  s.push([2]);
  await sleep(5);
  t.same(failed, [[1]]);
  await sleep(60);
  t.same(calls, [[1], [1, 2], [1, 2]], 'the same items first, with what came behind');
  t.same(done, [[[1, 2], 'ok']]);
  failures = 5;
  s.push([3]);
  await sleep(5);
  s.stop();
  await sleep(60);
  t.same(calls.at(-1), [3]);
  t.equal(calls.length, 4, 'no retry after stop');
  t.equal(s.weight, 3, 'what failed is still there');
  s.clear();
  t.equal(s.weight, 0, 'clear forgets what waits');
});

t.test('with gatherMs, a request waits that long after its first item, and carries what came meanwhile', async (t) => {
  const calls: number[][] = [];
  const s: InOrderStage<number, string> = new InOrderStage<number, string>(
    {
      run: async (items) => {
        calls.push(items);
        return '';
      },
      done: () => undefined,
      failed: () => undefined,
      retryMs: 20,
      maxWeight: 100,
      weight: () => 1,
      gatherMs: 30,
    },
    directDriver(() => s as InOrderStage<never, string>),
  );
  t.teardown(() => s.stop());
  s.push([1]);
  await sleep(10);
  s.push([2]);
  t.same(calls, [], 'not yet');
  await sleep(40);
  t.same(calls, [[1, 2]], 'one request for both');
  s.push([3]);
  s.stop();
  await sleep(50);
  t.same(calls, [[1, 2]], 'a stopped stage starts nothing');
});
