import t from 'tap';
import { SendBudget } from '../../../src/actors/supervisor/send-budget';

t.test('refills at the rate, holds at most 50 ms worth, and spends what was sent', async (t) => {
  let clock = 0;
  const budget = new SendBudget(400, () => clock);
  t.equal(budget.available(), 20, 'starts with one burst: 400/s x 50 ms');
  budget.spend(20);
  t.equal(budget.available(), 0, 'spent');
  clock += 10;
  t.equal(budget.available(), 4, '10 ms later: 4 more');
  clock += 10_000;
  t.equal(budget.available(), 20, 'a long pause refills no more than the burst');
  budget.spend(3);
  t.equal(budget.available(), 17);
});

t.test('a backlog of 1000 drains at the rate, not at once', async (t) => {
  let clock = 0;
  const budget = new SendBudget(400, () => clock);
  let backlog = 1000;
  const sentAt: number[] = [];
  while (backlog > 0) {
    const n = Math.min(backlog, budget.available());
    budget.spend(n);
    backlog -= n;
    for (let i = 0; i < n; i++) sentAt.push(clock);
    clock += 20; // the supervisor's tick
  }
  // 400/s with a burst of 20: the first 20 at once, then 8 per 20 ms tick.
  t.equal(sentAt[sentAt.length - 1], 2460, 'the last leaves at the first tick after (1000 - 20) / 400 s = 2.45 s');
  for (let start = 0; start <= 2000; start += 100) {
    const inSecond = sentAt.filter((at) => at >= start && at < start + 1000).length;
    if (inSecond > 400 + 20)
      t.fail(`${inSecond} sent in the second from ${start} ms: more than the rate and the burst`);
  }
  t.pass('no second of the drain carries more than 400 + the 20 of the burst');
});

t.test('rate 0: no limit', async (t) => {
  const budget = new SendBudget(0);
  t.equal(budget.available(), Number.POSITIVE_INFINITY);
  budget.spend(1e6);
  t.equal(budget.available(), Number.POSITIVE_INFINITY);
});
