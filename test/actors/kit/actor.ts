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
