// The supervisor's handlers, each called alone: a state is built, one handler runs, and the
// test reads the new state and what was told to the children (recording actors).
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  spawn,
  startActorSystem,
  stopActorSystem,
  type ActorContext,
  type ActorRef,
  type ActorSystem,
} from '../../../src/actors/kit/actor';
import type { WriterMsg } from '../../../src/actors/writer/protocol';
import { InOrderStage } from '../../../src/actors/supervisor/in-order-stage';
import type { ProcessorMsg } from '../../../src/actors/processor/protocol';
import type { SupervisorInternalMsg, SupervisorMsg } from '../../../src/actors/supervisor/protocol';
import { SendBudget } from '../../../src/actors/supervisor/send-budget';
import { onClaimed, onLookedUp, onPurge, onSettled } from '../../../src/actors/supervisor/handlers';
import {
  initialSupervisorState,
  type SupervisorContext,
  type SupervisorState,
} from '../../../src/actors/supervisor/state';
import { type LookedUp } from '../../../src/actors/supervisor/protocol';
import { silentLogger } from '../../../src/shared/log';
import type { ProcessorName } from '../../../src/domain/payment';
import type { PendingPayment } from '../../../src/domain/pending-payment';
import { WaitingQueue } from '../../../src/actors/supervisor/waiting-queue';

const pay = (id: string, acceptedAt = 1000, extra: Partial<PendingPayment> = {}): PendingPayment => ({
  correlationId: id,
  amountCents: 100,
  acceptedAt,
  ...extra,
});

function recorder<M>(system: ActorSystem, name: string, into: M[]): ActorRef<M> {
  return spawn<null, M>(system, {
    name,
    initialState: () => null,
    onCrash: 'resume',
    handle: (state, msg) => {
      into.push(msg);
      return state;
    },
  });
}

/** The context of an actor that only records what it is told: the supervisor's own, for its handlers. */
function recordingContext(system: ActorSystem): ActorContext<SupervisorMsg | SupervisorInternalMsg> {
  let ctx: ActorContext<SupervisorMsg | SupervisorInternalMsg> | undefined;
  spawn<null, SupervisorMsg | SupervisorInternalMsg>(system, {
    name: 'self',
    initialState: (c) => ((ctx = c), null),
    onCrash: 'resume',
    handle: (state) => state,
  });
  return ctx!;
}

/** A state with recording children, and a context whose look-up stage only records what it is given. */
function setup(t: { teardown(fn: () => void): void }, clock = 5000) {
  const system = startActorSystem(`handlers-${Math.random()}`);
  t.teardown(() => stopActorSystem(system));
  const told: Record<ProcessorName, ProcessorMsg[]> = { default: [], fallback: [] };
  const written: WriterMsg[][] = [[], []];
  const lookedUp: LookedUp[] = [];
  const state: SupervisorState = initialSupervisorState();
  state.children = {
    processors: {
      default: recorder(system, 'default', told.default),
      fallback: recorder(system, 'fallback', told.fallback),
    },
    writers: [recorder(system, 'w0', written[0]), recorder(system, 'w1', written[1])],
  };
  const stage = <T, R>(into: T[]) =>
    new InOrderStage<T, R>(
      {
        run: (items) => {
          into.push(...items);
          return new Promise<R>(() => undefined); // never answers: the test reads what was pushed
        },
        done: () => undefined,
        failed: () => undefined,
        retryMs: 1000,
        maxWeight: 1000,
        weight: () => 1,
      },
      { pipe: () => undefined, wakeIn: () => undefined, cancelWake: () => undefined },
    );
  const ctx: SupervisorContext = {
    options: {
      ledger: { claimFresh: async (ps) => ps },
      history: { recordedAmong: async () => new Set() },
      spawnChildren: () => state.children,
      maxInFlight: 10,
      defaultWaitMs: 1000,
      tickMs: 10_000,
      claimRetryMs: 1000,
      log: silentLogger,
    },
    now: () => clock,
    actor: recordingContext(system),
    claims: stage([]),
    lookups: stage<LookedUp, never>(lookedUp),
    budget: new SendBudget(0),
  };
  return { state, ctx, told, written, lookedUp };
}

t.test('onClaimed: counts duplicates, holds what is fresh, and drops what a purge came after', async (t) => {
  const { state, ctx, lookedUp } = setup(t);
  state.purgedAt = 2000;
  onClaimed(state, ctx, {
    payments: [pay('old', 1999), pay('new', 2000), pay('newer', 2500)],
    offered: 4,
  });
  t.equal(state.accepted, 3);
  t.equal(state.duplicates, 1, 'one of the four offered was a duplicate');
  t.same([...state.held.keys()], ['new', 'newer'], 'the one accepted before the purge is not held');
  t.same(
    lookedUp.map((l) => [l.payment.correlationId, l.recovered]),
    [
      ['new', false],
      ['newer', false],
    ],
    'only the kept ones go to the look-up',
  );
});

t.test('onLookedUp: recorded ones count as duplicates; recovered ones go back to their processor', async (t) => {
  const { state, ctx, told } = setup(t);
  const assigned = pay('rec-fallback', 1000, { assignment: { processor: 'fallback', requestedAt: 'x' } });
  for (const id of ['dup', 'fresh']) state.held.set(id, pay(id));
  state.held.set(assigned.correlationId, assigned);
  state.accepted = 2;
  onLookedUp(state, ctx, {
    recorded: [{ payment: pay('dup'), recovered: false }],
    unrecorded: [
      { payment: state.held.get('fresh')!, recovered: false },
      { payment: assigned, recovered: true },
      { payment: pay('purged'), recovered: false },
    ],
  });
  t.equal(state.accepted, 1, 'the one already in the table is not counted as accepted');
  t.equal(state.duplicates, 1);
  t.notOk(state.held.has('dup'));
  t.same(state.inFlight, { default: 1, fallback: 1 }, 'fresh routed to default, the recovered one to its fallback');
  await sleep(20);
  t.same(
    told.fallback.map((m) => m.type === 'send' && m.payments.map((p) => p.correlationId)),
    [['rec-fallback']],
  );
  t.same(
    told.default.map((m) => m.type === 'send' && m.payments.map((p) => p.correlationId)),
    [['fresh']],
    'the purged one (not held) is sent nowhere',
  );
});

t.test('onSettled: recorded to a writer in turn; returned go first in line unless a purge came after', async (t) => {
  const { state, ctx, written } = setup(t);
  // Default can take nothing more: what comes back stays in the queue, where the test can read it.
  state.inFlight.default = 14;
  state.inFlight.fallback = 0;
  state.purgedAt = 1500;
  state.queue = WaitingQueue.of([pay('waiting', 3000)]);
  for (const id of ['r1', 'back-old', 'back-new', 'gone']) state.held.set(id, pay(id));
  const recorded = {
    correlationId: 'r1',
    amountCents: 100,
    requestedAt: 'x',
    processor: 'default' as const,
    answeredAt: 0,
  };
  onSettled(state, ctx, {
    type: 'settled',
    processor: 'default',
    recorded: [recorded],
    returned: [pay('back-old', 1000), pay('back-new', 2000)],
    dropped: ['gone'],
  });
  t.equal(state.inFlight.default, 10, 'four settled');
  t.same(
    state.queue.toArray().map((p) => p.correlationId),
    ['back-new', 'waiting'],
    'the returned one goes ahead of what waited; the one accepted before the purge is forgotten',
  );
  t.same(
    [...state.held.keys()].sort(),
    ['back-new', 'back-old', 'r1'],
    'dropped is no longer held; recorded is until its writer has it in Postgres',
  );
  await sleep(20);
  t.same(written[0], [{ type: 'write', payments: [recorded] }]);
  t.same(written[1], [], 'the next report goes to the other writer');
  t.equal(state.nextWriter, 1);
});

t.test('onPurge: empties the queue and what is held, and remembers when', async (t) => {
  const { state, ctx } = setup(t, 7777);
  state.queue = WaitingQueue.of([pay('a')]);
  state.held.set('a', pay('a'));
  let answered = false;
  onPurge(state, ctx, { type: 'purge', replyTo: () => (answered = true) });
  t.same(state.queue.toArray(), []);
  t.equal(state.held.size, 0);
  t.equal(state.purgedAt, 7777);
  t.ok(answered);
});

t.test('onPurge: batches whose claim never ran are answered not durable (503), not left waiting', async (t) => {
  const { state, ctx } = setup(t);
  const settled: [number, boolean][] = [];
  const withAnswers = {
    ...ctx,
    options: { ...ctx.options, onBatchSettled: (b: number, d: boolean) => settled.push([b, d]) },
  };
  // The first batch's claim is under way (the stage never answers it); the next two wait behind it.
  ctx.claims.push([{ payments: [pay('a')], batch: 1, answered: false }]);
  ctx.claims.push([{ payments: [pay('b')], batch: 2, answered: false }]);
  ctx.claims.push([{ payments: [pay('c')], answered: false }]); // answered at once: no batch id
  onPurge(state, withAnswers, { type: 'purge', replyTo: () => undefined });
  t.same(settled, [[2, false]], 'the waiting batch is answered; the one under way answers when its claim does');
  t.equal(ctx.claims.weight, 1, 'only the claim under way is left');
});
