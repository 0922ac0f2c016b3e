import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { gather } from '../../../src/actors/kit/gather';
import { holdsWithin } from '../../../tools/kit/until';

t.test('answers once every one asked has answered, in the order they answered', async (t) => {
  const done: number[][] = [];
  gather<number>(
    3,
    (reply) => [30, 10, 20].forEach((ms) => setTimeout(() => reply(ms), ms)),
    (answers) => done.push(answers),
  );
  t.same(done, [], 'not before');
  await holdsWithin(() => done.length > 0, 5000, 5);
  t.same(done, [[10, 20, 30]]);
});

t.test('none to ask: answered at once, empty', async (t) => {
  const done: number[][] = [];
  gather<number>(
    0,
    () => t.fail('nobody to ask'),
    (answers) => done.push(answers),
  );
  t.same(done, [[]]);
});

t.test('with a time-out: answered with what came in time, once; a late answer is left out', async (t) => {
  const done: string[][] = [];
  gather<string>(
    2,
    (reply) => {
      reply('quick');
      setTimeout(() => reply('late'), 60);
    },
    (answers) => done.push(answers),
    20,
  );
  await holdsWithin(() => done.length > 0, 5000, 5);
  await sleep(80); // past the late answer
  t.same(done, [['quick']]);
});

t.test('with a time-out that is not needed: answered as soon as all are in', async (t) => {
  const done: string[][] = [];
  const started = Date.now();
  gather<string>(
    1,
    (reply) => reply('at once'),
    (answers) => done.push(answers),
    1000,
  );
  t.same(done, [['at once']]);
  t.ok(Date.now() - started < 500, 'not held to the time-out');
});
