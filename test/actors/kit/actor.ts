import t from 'tap';
import { spawn, startActorSystem, stopActorSystem, tell } from '../../../src/actors/kit/actor';
import { setTimeout as sleep } from 'node:timers/promises';

type Msg = { type: 'add'; n: number } | { type: 'boom' } | { type: 'get'; replyTo: (n: number) => void };

for (const policy of ['resume', 'reset', 'stop'] as const) {
  t.test(`crash policy ${policy}`, async (t) => {
    const system = startActorSystem(`actor-test-${policy}`);
    t.teardown(() => stopActorSystem(system));
    const errors: unknown[] = [];
    const ref = spawn<number, Msg>(system, {
      name: 'counter',
      initialState: () => 0,
      onCrash: policy,
      onError: (err) => errors.push(err),
      handle: (n, msg) => {
        if (msg.type === 'add') return n + msg.n;
        if (msg.type === 'boom') throw new Error('boom');
        msg.replyTo(n);
        return n;
      },
    });
    tell(ref, { type: 'add', n: 2 });
    tell(ref, { type: 'add', n: 3 });
    t.equal(ref.mailboxLength, 2, 'two messages waiting');
    tell(ref, { type: 'boom' });
    const reply = new Promise<number>((r) => tell(ref, { type: 'get', replyTo: r }));
    // A live actor's answer is awaited however slow the machine is; a stopped one is given 200 ms to (not) answer.
    const answer = policy === 'stop' ? await Promise.race([reply, sleep(200).then(() => 'no answer')]) : await reply;
    t.equal(errors.length, 1, 'onError heard the crash');
    t.equal(
      answer,
      { resume: 5, reset: 0, stop: 'no answer' }[policy],
      policy === 'stop' ? 'stopped: later messages are not handled' : 'state after the crash',
    );
    t.equal(ref.name, 'counter');
  });
}

t.test('the mailbox count falls as messages are handled; a stopped system handles nothing more', async (t) => {
  const system = startActorSystem('actor-test-mailbox');
  const ref = spawn<number, Msg>(system, {
    name: 'counter',
    initialState: () => 0,
    onCrash: 'resume',
    handle: (n, msg) => {
      if (msg.type === 'add') return n + msg.n;
      if (msg.type === 'get') msg.replyTo(n);
      return n;
    },
  });
  for (let i = 0; i < 5; i++) tell(ref, { type: 'add', n: 1 });
  t.equal(ref.mailboxLength, 5);
  t.equal(await new Promise<number>((r) => tell(ref, { type: 'get', replyTo: r })), 5);
  t.equal(ref.mailboxLength, 0, 'all handled: none waiting');
  stopActorSystem(system);
  const answer = await Promise.race([
    new Promise<number>((r) => tell(ref, { type: 'get', replyTo: r })),
    sleep(200).then(() => 'no answer'),
  ]);
  t.equal(answer, 'no answer', 'stopped');
});

t.test('pipeToSelf: an async outcome comes back as a message, a failure too', async (t) => {
  const system = startActorSystem('actor-test-pipe');
  t.teardown(() => stopActorSystem(system));
  type Piped = { type: 'done'; value: number } | { type: 'failed'; why: string };
  const seen: Piped[] = [];
  let pipe: ((work: Promise<number>) => void) | undefined;
  const ref = spawn<number[], Piped>(system, {
    name: 'piper',
    initialState: (ctx) => {
      pipe = (work) =>
        ctx.pipeToSelf(
          work,
          (value) => ({ type: 'done', value }),
          (err) => ({ type: 'failed', why: (err as Error).message }),
        );
      return [];
    },
    onCrash: 'resume',
    handle: (state, msg) => (seen.push(msg), state),
  });
  pipe!(Promise.resolve(7));
  pipe!(Promise.reject(new Error('refused')));
  await sleep(20);
  t.same(seen, [
    { type: 'done', value: 7 },
    { type: 'failed', why: 'refused' },
  ]);
  t.equal(ref.mailboxLength, 0, 'both handled');
});

t.test('setup runs once, before the first message, with the state and the context', async (t) => {
  const system = startActorSystem('actor-test-setup');
  t.teardown(() => stopActorSystem(system));
  const order: string[] = [];
  const ref = spawn<{ children: string[] }, { type: 'ping'; replyTo: (c: string[]) => void }>(system, {
    name: 'parent',
    initialState: () => ({ children: [] }),
    setup: (state, ctx) => {
      order.push('setup');
      state.children.push(`child of ${ctx.self.name}`);
    },
    onCrash: 'resume',
    handle: (state, msg) => (order.push('ping'), msg.replyTo(state.children), state),
  });
  t.same(await new Promise<string[]>((r) => tell(ref, { type: 'ping', replyTo: r })), ['child of parent']);
  t.same(order, ['setup', 'ping']);
});
