import t from 'tap';
import { holdsWithin, until } from '../../tools/kit/until';

t.test('holdsWithin: true as soon as the check holds; a check that throws counts as not yet', async (t) => {
  let calls = 0;
  const started = Date.now();
  const held = await holdsWithin(
    () => {
      calls++;
      if (calls < 3) throw new Error('refused');
      return calls >= 4;
    },
    2000,
    5,
  );
  t.ok(held);
  t.equal(calls, 4);
  t.ok(Date.now() - started < 1000, 'not held to the time limit');
});

t.test('holdsWithin: false once the time is up', async (t) => {
  const started = Date.now();
  t.notOk(await holdsWithin(async () => false, 60, 10));
  t.ok(Date.now() - started >= 60, 'it waited the whole time');
});

t.test('until: throws, naming what it waited for', async (t) => {
  await t.rejects(
    until(() => false, 30, 'the moon', 10),
    /timed out waiting for the moon/,
  );
  await t.resolves(until(() => true, 30, 'the sun'));
});
