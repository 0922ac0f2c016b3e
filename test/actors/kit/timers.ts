import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, startActorSystem, stopActorSystem, type ActorContext } from '../../../src/actors/kit/actor';
import { holdsWithin } from '../../../tools/kit/until';

type Msg = { type: 'tick'; n: number };

/** An actor that records what its timers tell it; returns its context, to start timers from the test. */
function recorder(t: { teardown(fn: () => void): void }) {
  const system = startActorSystem(`timers-test-${Math.random()}`);
  t.teardown(() => stopActorSystem(system));
  const told: number[] = [];
  let ctx: ActorContext<Msg> | undefined;
  spawn<null, Msg>(system, {
    name: 'timed',
    initialState: (c) => ((ctx = c), null),
    onCrash: 'resume',
    handle: (state, msg) => (told.push(msg.n), state),
  });
  return { system, told, timers: ctx!.timers };
}

t.test('a keyed timer tells its message once; starting the key again replaces it', async (t) => {
  const { told, timers } = recorder(t);
  timers.startSingle('a', { type: 'tick', n: 1 }, 30);
  timers.startSingle('a', { type: 'tick', n: 2 }, 10);
  timers.startSingle('b', { type: 'tick', n: 3 }, 20);
  t.ok(timers.isActive('a') && timers.isActive('b'), 'both pending');
  const left = timers.msUntil('a')!;
  t.ok(left > 0 && left <= 10, `msUntil: the replacement's time (${left.toFixed(1)} ms)`);
  t.ok(await holdsWithin(() => told.length >= 2, 5000, 5), 'both fired');
  await sleep(60); // past the replaced one's time
  t.same(told, [2, 3], 'the replaced one never fires');
  t.notOk(timers.isActive('a'), 'fired: no longer pending');
  t.equal(timers.msUntil('a'), undefined);
});

t.test('cancel stops one key; stopping the system cancels them all', async (t) => {
  const { system, told, timers } = recorder(t);
  timers.startSingle('a', { type: 'tick', n: 1 }, 20);
  timers.startSingle('b', { type: 'tick', n: 2 }, 20);
  timers.cancel('a');
  timers.cancel('never-started');
  t.ok(await holdsWithin(() => told.length >= 1, 5000, 5), 'b fired');
  await sleep(40); // past a's time
  t.same(told, [2]);
  timers.startSingle('c', { type: 'tick', n: 3 }, 20);
  stopActorSystem(system);
  t.notOk(timers.isActive('c'), 'cancelled with its system');
  await sleep(50);
  t.same(told, [2], 'nothing told after the stop');
});
