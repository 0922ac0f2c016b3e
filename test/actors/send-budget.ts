import t from 'tap';
import { SendBudget } from '../../src/actors/send-budget';

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
  let sent = 0;
  while (backlog > 0) {
    const n = Math.min(backlog, budget.available());
    budget.spend(n);
    backlog -= n;
    sent += n;
    clock += 20; // the supervisor's tick
  }
  t.ok(clock >= 2400 && clock <= 2600, `about 2.5 s (${clock} ms)`);
  t.equal(sent, 1000, 'every payment sent');
});

t.test('rate 0: no limit', async (t) => {
  const budget = new SendBudget(0);
  t.equal(budget.available(), Number.POSITIVE_INFINITY);
  budget.spend(1e6);
  t.equal(budget.available(), Number.POSITIVE_INFINITY);
});
