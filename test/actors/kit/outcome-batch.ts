import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, startActorSystem, stopActorSystem, type ActorContext } from '../../../src/actors/kit/actor';
import type { OutcomeBatch } from '../../../src/actors/kit/outcome-batch';
import { holdsWithin } from '../../../tools/kit/until';

type Msg = { type: 'outcomes'; outcomes: string[] };

function setup(t: { teardown(fn: () => void): void }) {
  const system = startActorSystem(`batch-test-${Math.random()}`);
  t.teardown(() => stopActorSystem(system));
  const messages: string[][] = [];
  let batch: OutcomeBatch<string, Msg> | undefined;
  spawn<null, Msg>(system, {
    name: 'batched',
    initialState: (ctx: ActorContext<Msg>) => {
      batch = ctx.outcomeBatch((outcomes) => ({ type: 'outcomes', outcomes }));
      return null;
    },
    onCrash: 'resume',
    handle: (state, msg) => (messages.push(msg.outcomes), state),
  });
  return { messages, batch: batch! };
}

t.test('outcomes that settle in one turn reach the actor as one message, failures mapped too', async (t) => {
  const { messages, batch } = setup(t);
  batch.pipe(
    Promise.resolve(1),
    (n) => `ok ${n}`,
    () => 'failed',
  );
  batch.pipe(
    Promise.reject(new Error('no')),
    () => 'ok',
    (err) => `failed: ${(err as Error).message}`,
  );
  batch.pipe(
    Promise.resolve(3),
    (n) => `ok ${n}`,
    () => 'failed',
  );
  await holdsWithin(() => messages.length >= 1, 5000, 5);
  t.same(messages, [['ok 1', 'failed: no', 'ok 3']]);
  batch.pipe(
    sleep(10).then(() => 4),
    (n) => `ok ${n}`,
    () => 'failed',
  );
  await holdsWithin(() => messages.length >= 2, 5000, 5);
  t.same(messages, [['ok 1', 'failed: no', 'ok 3'], ['ok 4']], 'a later one, a message of its own');
});

t.test('takeArrived hands over what settled before its message, which then carries nothing', async (t) => {
  const { messages, batch } = setup(t);
  batch.pipe(
    Promise.resolve('a'),
    (v) => v,
    () => 'failed',
  );
  await Promise.resolve(); // settled, its message not sent yet
  await Promise.resolve();
  t.same(batch.takeArrived(), ['a']);
  await sleep(20);
  t.same(messages, [], 'no empty message');
});
