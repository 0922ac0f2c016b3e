import t from 'tap';
import { holdsWithin } from '../../../tools/kit/until';
import { spawn, startActorSystem, stopActorSystem, tell, type ActorRef } from '../../../src/actors/kit/actor';
import type { WriterMsg, WriterSnapshot } from '../../../src/actors/writer/protocol';
import { spawnSupervisor } from '../../../src/actors/supervisor/payment-supervisor';
import type { SupervisorMsg, SupervisorOptions, SupervisorSnapshot } from '../../../src/actors/supervisor/protocol';
import { spawnProcessorActor } from '../../../src/actors/processor/processor-actor';
import { createLogger, silentLogger, type Logger } from '../../../src/shared/log';
import type { ProcessorName, ProcessorPaymentBody, RecordedPayment } from '../../../src/domain/payment';
import type { PaymentOutcome } from '../../../src/domain/processor-answers';
import type { PendingPayment } from '../../../src/domain/pending-payment';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether `check` holds within 3 s (the actors run on a real, maybe busy, event loop). */
const eventually = (check: () => Promise<boolean>) => holdsWithin(check, 3000, 10);

const pay = (id: string, extra: Partial<PendingPayment> = {}): PendingPayment => ({
  correlationId: id,
  amountCents: 100,
  acceptedAt: Date.now(),
  ...extra,
});

interface Options {
  /** Each call's outcome; 'held' keeps the call unanswered until the test releases it. */
  outcome: Record<ProcessorName, () => PaymentOutcome | 'held'>;
  maxInFlight?: number;
  /** What each writer answers to a flush (all true when not given). */
  writerFlushes?: boolean[];
  /** The writers never get their rows into Postgres (no 'written'). */
  writersStall?: boolean;
  defaultWaitMs?: number;
  claim?: (ps: PendingPayment[]) => Promise<PendingPayment[]>;
  /** Which payments the payments table already holds (none when not given). */
  recorded?: (ps: PendingPayment[]) => Promise<PendingPayment[]>;
  sendRatePerS?: number;
  now?: () => number;
  /** The processor actors' breaker cool-down (50 ms when not given). */
  cooldownMs?: number;
  /** Writes assignments; returns those still owned here (all, at once, when not given). */
  assign?: (ps: PendingPayment[]) => Promise<PendingPayment[]>;
  log?: Logger;
  /** writer-0 answers an inspect this much later than writer-1. */
  writer0InspectDelayMs?: number;
  /** The intake's hooks and the repeated-failure interval, passed as they are. */
  hooks?: Pick<
    SupervisorOptions,
    'onClaimLanded' | 'onClaimFailed' | 'onNotDurable' | 'onHeld' | 'onBatchSettled' | 'logRepeatMs'
  >;
}

/** What the fake children saw: bodies sent per processor, rows per writer, and calls held unanswered. */
interface Seen {
  sent: Record<ProcessorName, ProcessorPaymentBody[]>;
  written: RecordedPayment[][];
  /** Calls left unanswered, in the order they came. */
  heldCalls: Record<ProcessorName, ((outcome: PaymentOutcome) => void)[]>;
}

/** A real processor actor over a fake gateway that answers as `o.outcome` says. */
function fakeProcessor(self: ActorRef<SupervisorMsg>, name: ProcessorName, o: Options, seen: Seen) {
  return spawnProcessorActor(self, {
    processor: name,
    gateway: {
      pay: async (body) => {
        seen.sent[name].push(body);
        const planned = o.outcome[name]();
        const outcome =
          planned === 'held' ? await new Promise<PaymentOutcome>((r) => seen.heldCalls[name].push(r)) : planned;
        return { outcome, status: outcome === 'recorded' ? 200 : 500, latencyMs: 1 };
      },
      lookup: async () => ({ found: 'unknown' }),
    },
    ledger: { assign: o.assign ?? (async (ps) => ps), stillOwned: async (ids) => new Set(ids) },
    report: (r) => tell(self, r),
    reportAvailability: (r) => tell(self, r),
    failureThreshold: 1,
    cooldownMs: o.cooldownMs ?? 50,
    horizonMs: 1500,
    slowMarginMs: 400,
    settleMs: 10_000,
    pinnedRetryMs: 30,
    watchMs: 10,
    log: silentLogger,
  });
}

/** A writer that only records what it is given and answers flushes and inspects as told. */
function fakeWriter(self: ActorRef<SupervisorMsg>, i: number, o: Options, seen: Seen): ActorRef<WriterMsg> {
  return spawn<null, WriterMsg>(self, {
    name: `writer-${i}`,
    initialState: () => null,
    onCrash: 'resume',
    handle: (state, msg) => {
      if (msg.type === 'write') {
        seen.written[i].push(...msg.payments);
        // As a real writer once Postgres has them (unless the test keeps Postgres from taking them).
        if (!o.writersStall) tell(self, { type: 'written', correlationIds: msg.payments.map((p) => p.correlationId) });
      }
      if (msg.type === 'flush') msg.replyTo?.(o.writerFlushes?.[i] ?? true);
      const delay = i === 0 ? (o.writer0InspectDelayMs ?? 0) : 0;
      if (msg.type === 'inspect')
        setTimeout(msg.replyTo, delay, {
          name: `writer-${i}`,
          buffered: 0,
          mailbox: 0,
          flushes: 0,
          rowsWritten: seen.written[i].length,
          lastBatchSize: 0,
          lastFlushMs: 0,
          failedFlushes: 0,
        } satisfies WriterSnapshot);
      return state;
    },
  });
}

function setup(t: { teardown(fn: () => unknown): void }, o: Options) {
  const system = startActorSystem(`supervisor-test-${Math.random()}`);
  const seen: Seen = {
    sent: { default: [], fallback: [] },
    written: [[], []],
    heldCalls: { default: [], fallback: [] },
  };
  const { sent, written, heldCalls } = seen;
  // release(p, n, outcome) answers the oldest n calls held.
  const release = (p: ProcessorName, n: number, outcome: PaymentOutcome) => {
    for (const answer of heldCalls[p].splice(0, n)) answer(outcome);
  };
  const supervisor: ActorRef<SupervisorMsg> = spawnSupervisor(system, {
    ledger: { claimFresh: o.claim ?? (async (ps) => ps) },
    history: {
      recordedAmong: async (ps) => new Set((o.recorded ? await o.recorded(ps) : []).map((p) => p.correlationId)),
    },
    maxInFlight: o.maxInFlight ?? 100,
    sendRatePerS: o.sendRatePerS,
    now: o.now,
    defaultWaitMs: o.defaultWaitMs ?? 60_000,
    tickMs: 10,
    claimRetryMs: 20,
    log: o.log ?? silentLogger,
    ...o.hooks,
    spawnChildren: (self) => ({
      processors: {
        default: fakeProcessor(self, 'default', o, seen),
        fallback: fakeProcessor(self, 'fallback', o, seen),
      },
      writers: [fakeWriter(self, 0, o, seen), fakeWriter(self, 1, o, seen)],
    }),
  });
  t.teardown(async () => {
    await new Promise<void>((r) => tell(supervisor, { type: 'stop', replyTo: r }));
    stopActorSystem(system);
  });
  const inspect = () => new Promise<SupervisorSnapshot>((r) => tell(supervisor, { type: 'inspect', replyTo: r }));
  const writtenIds = () =>
    written
      .flat()
      .map((p) => p.correlationId)
      .sort();
  return { supervisor, sent, written, writtenIds, inspect, release, heldCalls };
}

t.test('claimed payments go to default and are written round-robin; duplicates are not routed', async (t) => {
  const s = setup(t, {
    outcome: { default: () => 'recorded', fallback: () => 'recorded' },
    claim: async (ps) => ps.filter((p) => p.correlationId !== 'dup'),
  });
  tell(s.supervisor, { type: 'accepted', payments: [pay('a'), pay('dup'), pay('b')] });
  await sleep(60);
  tell(s.supervisor, { type: 'accepted', payments: [pay('c')] });
  await sleep(60);
  t.same(s.writtenIds(), ['a', 'b', 'c']);
  t.same(s.sent.fallback, []);
  t.ok(s.written[0].length > 0 && s.written[1].length > 0, 'both writers used');
  t.match(await s.inspect(), {
    name: 'supervisor',
    waiting: 0,
    accepted: 3,
    duplicates: 1,
    inFlight: { default: 0, fallback: 0 },
  });
});

t.test('a backlog is sent at PROCESSOR_SEND_RATE, oldest first, none left behind', async (t) => {
  // The supervisor's clock is the test's: the budget refills only when the test moves it, 10 ms at a time
  // (the real ticks run meanwhile), so the counts below do not depend on how busy the machine is.
  const clock = { ms: Date.now() };
  const s = setup(t, {
    outcome: { default: () => 'recorded', fallback: () => 'recorded' },
    sendRatePerS: 1000,
    now: () => clock.ms,
  });
  const ids = Array.from({ length: 300 }, (_, i) => `p${String(i).padStart(3, '0')}`);
  tell(s.supervisor, { type: 'accepted', payments: ids.map((id) => pay(id)) });
  const advance = async (ms: number) => {
    for (let passed = 0; passed < ms; passed += 10) {
      clock.ms += 10;
      await sleep(20);
    }
  };
  // Counts are read once they settle (the actors run on a real, maybe busy, event loop) and again after a pause.
  const settled = async (count: number) => {
    for (let waited = 0; waited < 3000 && s.sent.default.length < count; waited += 10) await sleep(10);
    await sleep(50);
    return s.sent.default.length;
  };
  t.equal(await settled(50), 50, 'while no time passes, only the burst: 50 ms worth at 1000/s');
  await advance(100);
  t.equal(await settled(150), 150, '100 ms later, 100 more: the rate, not the backlog, sets the pace');
  t.same(
    s.sent.default.map((b) => b.correlationId),
    ids.slice(0, 150),
    'oldest first',
  );
  await advance(150);
  t.equal(s.sent.default.length, 300, 'then all of them');
  t.same(s.writtenIds(), ids, 'each written once');
});

t.test('default failing: payments wait DEFAULT_WAIT_MS, then fallback takes them', async (t) => {
  const s = setup(t, { outcome: { default: () => 'rejected', fallback: () => 'recorded' }, defaultWaitMs: 150 });
  tell(s.supervisor, { type: 'accepted', payments: [pay('x'), pay('y')] });
  await sleep(80);
  t.same(s.sent.fallback, [], 'not yet');
  const waiting = await s.inspect();
  t.ok(waiting.waiting + waiting.inFlight.default >= 1, 'held');
  await sleep(250);
  t.same(s.writtenIds(), ['x', 'y'], 'recorded by fallback after the wait');
  t.ok(s.written.flat().every((p) => p.processor === 'fallback'));
});

t.test('recovered payments with an assignment go straight back to that processor', async (t) => {
  const s = setup(t, { outcome: { default: () => 'recorded', fallback: () => 'recorded' } });
  tell(s.supervisor, {
    type: 'recovered',
    payments: [pay('f', { assignment: { processor: 'fallback', requestedAt: '2025-07-10T12:00:00.000Z' } }), pay('n')],
  });
  await sleep(150);
  t.same(
    s.sent.fallback.map((b) => b.requestedAt),
    ['2025-07-10T12:00:00.000Z'],
    'to fallback, with its requestedAt',
  );
  t.same(
    s.sent.default.map((b) => b.correlationId),
    ['n'],
    'the unassigned one is routed as usual',
  );
});

t.test('claim failures are retried; flush answers once every writer answered; purge empties the queue', async (t) => {
  let fail = 2;
  const s = setup(t, {
    outcome: { default: () => 'rejected', fallback: () => 'rejected' },
    claim: async (ps) => (fail-- > 0 ? Promise.reject(new Error('redis down')) : ps),
  });
  tell(s.supervisor, { type: 'accepted', payments: [pay('k')] });
  t.equal(
    (await s.inspect()).claiming,
    1,
    'while Redis fails, the payment is counted as claiming (shutdown waits for it)',
  );
  await sleep(150);
  const held = await s.inspect();
  t.equal(held.accepted, 1, 'claimed after two failures');
  t.equal(held.claiming, 0, 'and no longer claiming');
  t.equal(await new Promise<boolean>((r) => tell(s.supervisor, { type: 'flush', replyTo: r })), true);
  await new Promise<void>((r) => tell(s.supervisor, { type: 'purge', replyTo: r }));
  await sleep(150);
  const after = await s.inspect();
  t.equal(
    after.waiting + after.inFlight.default + after.inFlight.fallback,
    0,
    'purged, also when it was in flight and came back unrecorded',
  );
  t.equal((await s.inspect()).processors.length, 2);
});

const accept = (s: { supervisor: ActorRef<SupervisorMsg> }, ids: string[]) =>
  tell(s.supervisor, { type: 'accepted', payments: ids.map((id) => pay(id)) });
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

t.test('at most PROCESSOR_MAX_IN_FLIGHT payments are out at a processor; the rest wait for answers', async (t) => {
  const s = setup(t, { outcome: { default: () => 'held', fallback: () => 'recorded' }, maxInFlight: 5 });
  accept(s, ids('m', 12));
  await sleep(80);
  t.equal(s.sent.default.length, 5, 'five sent');
  t.match(await s.inspect(), { waiting: 7, inFlight: { default: 5, fallback: 0 } }, 'seven wait, none to fallback');
  s.release('default', 3, 'recorded');
  await sleep(80);
  t.equal(s.sent.default.length, 8, 'three answers let three more go');
  t.match(await s.inspect(), { waiting: 4, inFlight: { default: 5 } });
  for (let i = 0; i < 4; i++) {
    s.release('default', 5, 'recorded');
    await sleep(60);
  }
  t.same(s.writtenIds(), ids('m', 12).sort(), 'all recorded, each once');
  t.match(await s.inspect(), { waiting: 0, inFlight: { default: 0, fallback: 0 } }, 'nothing counted as out');
});

t.test('a processor whose breaker is half-open gets one probe at a time', async (t) => {
  let calls = 0;
  // The first call fails (threshold 1 opens the breaker); every later one is held.
  const s = setup(t, { outcome: { default: () => (calls++ === 0 ? 'rejected' : 'held'), fallback: () => 'recorded' } });
  accept(s, ['first']);
  await sleep(150);
  t.equal(s.sent.default.length, 2, 'the failed call, then after the cooldown one probe');
  accept(s, ids('q', 5));
  await sleep(150);
  t.equal(s.sent.default.length, 2, 'while the probe is out, nothing else goes');
  t.same(s.sent.fallback, [], 'and they wait for default (DEFAULT_WAIT_MS not reached)');
  s.release('default', 1, 'recorded');
  await sleep(100);
  t.equal(s.sent.default.length, 7, 'the probe recorded: the breaker closes and the five go');
  s.release('default', 5, 'recorded');
  await sleep(60);
  t.same(s.writtenIds(), ['first', ...ids('q', 5)].sort());
});

t.test("a processor's health report reaches its actor", async (t) => {
  const s = setup(t, { outcome: { default: () => 'recorded', fallback: () => 'recorded' }, defaultWaitMs: 0 });
  const checkedAt = Date.now();
  tell(s.supervisor, {
    type: 'health',
    processor: 'default',
    health: { failing: true, minResponseTime: 0, checkedAt, checkedBy: 'other' },
  });
  await sleep(30);
  const snapshot = await s.inspect();
  t.match(
    snapshot.processors.find((p) => p.processor === 'default'),
    {
      unavailable: 'failing',
      health: { failing: true, checkedBy: 'other', checkedAt },
    },
  );
  accept(s, ['h']);
  await sleep(60);
  t.same(
    s.sent.fallback.map((b) => b.correlationId),
    ['h'],
    'default known failing, no wait allowed: fallback at once',
  );
  t.same(s.sent.default, [], 'default not even tried');
});

t.test('the send rate counts what goes to both processors', async (t) => {
  const clock = { ms: Date.now() };
  const s = setup(t, {
    outcome: { default: () => 'recorded', fallback: () => 'recorded' },
    sendRatePerS: 1000,
    now: () => clock.ms,
    defaultWaitMs: 0,
    cooldownMs: 60_000, // default stays unusable for the whole test
  });
  tell(s.supervisor, {
    type: 'health',
    processor: 'default',
    health: { failing: true, minResponseTime: 0, checkedAt: clock.ms, checkedBy: 'x' },
  });
  await sleep(30);
  tell(s.supervisor, { type: 'accepted', payments: ids('r', 100).map((id) => pay(id, { acceptedAt: clock.ms - 1 })) });
  // Fallback answers at once, and each answer routes again: only the budget holds the rest back.
  await sleep(150);
  t.equal(s.sent.default.length, 0, 'default failing');
  t.equal(s.sent.fallback.length, 50, 'the burst (50 ms worth) and no more, all to fallback');
  clock.ms += 10;
  await sleep(100);
  t.equal(s.sent.fallback.length, 60, '10 ms later, 10 more');
});

t.test('a send rate of 20/s (a burst of one payment) sends them one at a time', async (t) => {
  const clock = { ms: Date.now() };
  const s = setup(t, {
    outcome: { default: () => 'recorded', fallback: () => 'recorded' },
    sendRatePerS: 20,
    now: () => clock.ms,
  });
  accept(s, ids('o', 3));
  await sleep(100);
  t.same(
    s.sent.default.map((b) => b.correlationId),
    ['o0'],
    'one, at once',
  );
  clock.ms += 50;
  await sleep(100);
  t.equal(s.sent.default.length, 2, '50 ms later, the next');
  clock.ms += 100;
  await sleep(100);
  t.same(s.writtenIds(), ids('o', 3), 'then the last');
});

t.test('a payment another instance took over leaves nothing counted in flight here', async (t) => {
  const s = setup(t, {
    outcome: { default: () => 'held', fallback: () => 'held' },
    maxInFlight: 1,
    // 'taken' was claimed by another instance (its heartbeat was missed): it is no longer owned here.
    assign: async (ps) => ps.filter((p) => p.correlationId !== 'taken'),
  });
  accept(s, ['first']);
  await sleep(50);
  accept(s, ['taken', 'mine']); // they wait behind 'first' (MAX_IN_FLIGHT 1), then are assigned when they go
  await sleep(50);
  s.release('default', 1, 'recorded');
  await sleep(100);
  t.match(await s.inspect(), { waiting: 0, inFlight: { default: 1, fallback: 0 } }, "only 'mine' in flight");
  t.same(
    s.sent.default.map((b) => b.correlationId),
    ['first', 'mine'],
    'the taken one is not sent',
  );
  s.release('default', 1, 'recorded');
  accept(s, ['next']);
  await sleep(100);
  s.release('default', 1, 'recorded');
  await sleep(50);
  t.same(s.writtenIds(), ['first', 'mine', 'next'], 'the room it held is free again');
  t.match(await s.inspect(), { inFlight: { default: 0, fallback: 0 } });
});

t.test('a half-open processor gets one probe, also while the probe is still being assigned', async (t) => {
  let calls = 0;
  // Writing an assignment to Redis is held until the test lets it finish: meanwhile ticks and new payments arrive.
  const assigning: { payments: PendingPayment[]; done: () => void }[] = [];
  const s = setup(t, {
    // The first call fails (the breaker opens); the probe is held.
    outcome: { default: () => (calls++ === 0 ? 'rejected' : 'held'), fallback: () => 'recorded' },
    assign: (ps) => new Promise((resolve) => assigning.push({ payments: ps, done: () => resolve(ps) })),
  });
  accept(s, ['first']);
  t.ok(await eventually(async () => assigning.length === 1), 'after the cool-down, one probe is being assigned');
  accept(s, ids('q', 3));
  await sleep(200);
  t.same(
    assigning.map((a) => a.payments.map((p) => p.correlationId)),
    [['first']],
    'nothing else is prepared while the probe is on its way',
  );
  assigning.splice(0).forEach((a) => a.done());
  await sleep(100);
  t.equal(s.sent.default.length, 2, 'the failed call, then the probe; the rest wait for its answer');
  s.release('default', 1, 'recorded');
  t.ok(await eventually(async () => assigning.length > 0), 'the probe recorded: the rest are assigned');
  assigning.splice(0).forEach((a) => a.done());
  await sleep(100);
  s.release('default', 3, 'recorded');
  await sleep(50);
  t.same(s.writtenIds(), ['first', ...ids('q', 3)].sort(), 'then recorded');
});

t.test('inspect lists the processors and writers by name, whatever order they answer in', async (t) => {
  const s = setup(t, { outcome: { default: () => 'recorded', fallback: () => 'recorded' }, writer0InspectDelayMs: 50 });
  const snapshot = await s.inspect();
  t.same(
    snapshot.writers.map((w) => w.name),
    ['writer-0', 'writer-1'],
  );
  t.same(
    snapshot.processors.map((p) => p.name),
    ['processor-default', 'processor-fallback'],
  );
});

t.test('operators see a claim that failed and payments recovered in the logs', async (t) => {
  const logged: { level: string; event: string; count?: number }[] = [];
  const log = createLogger('test', 'info', (line) => logged.push(JSON.parse(line) as (typeof logged)[number]));
  let fail = 1;
  const s = setup(t, {
    outcome: { default: () => 'recorded', fallback: () => 'recorded' },
    claim: async (ps) => (fail-- > 0 ? Promise.reject(new Error('redis down')) : ps),
    log,
  });
  accept(s, ['l1', 'l2']);
  tell(s.supervisor, { type: 'recovered', payments: [pay('r1'), pay('r2'), pay('r3')] });
  await sleep(150);
  t.match(
    logged.find((l) => l.event === 'claim-failed'),
    { level: 'warn', count: 2 },
  );
  t.match(
    logged.find((l) => l.event === 'payments-recovered'),
    { level: 'info', count: 3 },
  );
  t.same(s.writtenIds(), ['l1', 'l2', 'r1', 'r2', 'r3']);
});

t.test('payments that come back unrecorded after a purge are forgotten; later ones are not', async (t) => {
  const s = setup(t, { outcome: { default: () => 'held', fallback: () => 'recorded' } });
  accept(s, ['old1', 'old2']);
  await sleep(60);
  t.equal(s.sent.default.length, 2);
  await new Promise<void>((r) => tell(s.supervisor, { type: 'purge', replyTo: r }));
  await sleep(5);
  accept(s, ['new1']);
  await sleep(60);
  s.release('default', 3, 'rejected');
  await sleep(100);
  const resent = s.sent.default.slice(3).map((b) => b.correlationId);
  t.notOk(
    resent.includes('old1') || resent.includes('old2'),
    `the purged ones are not sent again (${resent.join(', ')})`,
  );
  t.ok(
    [...s.sent.default.slice(3), ...s.sent.fallback].some((b) => b.correlationId === 'new1'),
    'the one accepted after the purge is routed again',
  );
});

t.test('a payment accepted at the very instant of a purge is kept; one accepted before is forgotten', async (t) => {
  const clock = { ms: 1_000_000 };
  const s = setup(t, { outcome: { default: () => 'held', fallback: () => 'held' }, now: () => clock.ms });
  tell(s.supervisor, {
    type: 'accepted',
    payments: [pay('before', { acceptedAt: clock.ms - 1 }), pay('same-ms', { acceptedAt: clock.ms })],
  });
  await sleep(60);
  await new Promise<void>((r) => tell(s.supervisor, { type: 'purge', replyTo: r }));
  s.release('default', 2, 'rejected');
  await sleep(150);
  const resent = s.sent.default.slice(2).map((b) => b.correlationId);
  t.same(resent, ['same-ms'], 'only the one that may have come after the purge is sent again');
});

t.test('flush answers false when any writer could not flush', async (t) => {
  const s = setup(t, {
    outcome: { default: () => 'recorded', fallback: () => 'recorded' },
    writerFlushes: [true, false],
  });
  t.equal(await new Promise<boolean>((r) => tell(s.supervisor, { type: 'flush', replyTo: r })), false);
});

t.test('inspect: how long the oldest waiting payment has waited', async (t) => {
  const clock = { ms: 1_000_000 };
  const s = setup(t, {
    outcome: { default: () => 'held', fallback: () => 'held' },
    maxInFlight: 1,
    now: () => clock.ms,
  });
  t.equal((await s.inspect()).oldestWaitingMs, 0, 'nothing waiting: 0');
  tell(s.supervisor, {
    type: 'accepted',
    payments: [
      pay('a', { acceptedAt: clock.ms - 900 }),
      pay('b', { acceptedAt: clock.ms - 700 }),
      pay('c', { acceptedAt: clock.ms - 400 }),
    ],
  });
  await sleep(60);
  t.match(
    await s.inspect(),
    { waiting: 2, oldestWaitingMs: 700 },
    'a is out (one at a time), b has waited 700 ms, c less',
  );
});

t.test(
  "with default open, a payment's assignment travels with its claim: no second write before it is sent",
  async (t) => {
    const claimed: (PendingPayment['assignment'] | undefined)[] = [];
    let assignCalls = 0;
    const s = setup(t, {
      outcome: { default: () => 'recorded', fallback: () => 'recorded' },
      claim: async (ps) => {
        for (const p of ps) claimed.push(p.assignment && { ...p.assignment });
        return ps;
      },
      assign: async (ps) => (assignCalls++, ps),
    });
    accept(s, ['a1', 'a2']);
    await sleep(100);
    t.match(claimed, [{ processor: 'default' }, { processor: 'default' }], 'claimed with an assignment to default');
    t.same(
      s.sent.default.map((b, i) => Date.parse(b.requestedAt) >= Date.parse(claimed[i]!.requestedAt)),
      [true, true],
      'sent with a requestedAt stamped as it went out: the time it was assigned, or later',
    );
    t.equal(assignCalls, 0, 'no separate assignment');
    t.same(s.writtenIds(), ['a1', 'a2']);
  },
);

t.test('a payment claimed with an assignment to default that fallback takes instead is assigned anew', async (t) => {
  const claimed: (PendingPayment['assignment'] | undefined)[] = [];
  const assigned: PendingPayment['assignment'][] = [];
  const s = setup(t, {
    outcome: { default: () => 'recorded', fallback: () => 'recorded' },
    defaultWaitMs: 0,
    cooldownMs: 60_000,
    // The claim answers late: default fails meanwhile.
    claim: async (ps) => {
      for (const p of ps) claimed.push(p.assignment && { ...p.assignment });
      await sleep(80);
      return ps;
    },
    assign: async (ps) => {
      for (const p of ps) assigned.push({ ...p.assignment! });
      return ps;
    },
  });
  accept(s, ['moved']);
  await sleep(20);
  tell(s.supervisor, {
    type: 'health',
    processor: 'default',
    health: { failing: true, minResponseTime: 0, checkedAt: Date.now(), checkedBy: 'x' },
  });
  await sleep(200);
  t.match(claimed, [{ processor: 'default' }], 'claimed while default was open');
  t.same(s.sent.default, [], 'default never called');
  t.match(assigned, [{ processor: 'fallback' }], 'its assignment rewritten to fallback before it was sent');
  t.same(
    s.sent.fallback.map((b) => [b.correlationId, Date.parse(b.requestedAt) >= Date.parse(assigned[0]!.requestedAt)]),
    [['moved', true]],
    'sent to fallback with a requestedAt stamped as it went out: the time it was assigned, or later',
  );
});

t.test('with default failing, payments are claimed without an assignment', async (t) => {
  const claimed: (PendingPayment['assignment'] | undefined)[] = [];
  const s = setup(t, {
    outcome: { default: () => 'recorded', fallback: () => 'recorded' },
    cooldownMs: 60_000,
    claim: async (ps) => {
      for (const p of ps) claimed.push(p.assignment);
      return ps;
    },
  });
  tell(s.supervisor, {
    type: 'health',
    processor: 'default',
    health: { failing: true, minResponseTime: 0, checkedAt: Date.now(), checkedBy: 'x' },
  });
  await sleep(30);
  accept(s, ['w']);
  await sleep(60);
  t.same(claimed, [undefined]);
  t.match(await s.inspect(), { waiting: 1 }, 'it waits for default (DEFAULT_WAIT_MS 60 s)');
});

t.test('once stopped, the supervisor sends nothing more: what waits is left for another instance', async (t) => {
  const s = setup(t, { outcome: { default: () => 'held', fallback: () => 'held' }, maxInFlight: 1 });
  accept(s, ['out', 'w1', 'w2']);
  await sleep(60);
  t.equal(s.sent.default.length, 1, 'one out, two waiting (MAX_IN_FLIGHT 1)');
  await new Promise<void>((r) => tell(s.supervisor, { type: 'stop', replyTo: r }));
  s.release('default', 1, 'recorded'); // room again: a running supervisor would send the next one now
  accept(s, ['late']);
  await sleep(150);
  t.same(
    s.sent.default.map((b) => b.correlationId),
    ['out'],
    'nothing sent after stop',
  );
  t.same(s.writtenIds(), ['out'], 'the answer that came back is still written');
});

t.test(
  'held: every payment claimed here and not yet recorded, waiting or in flight, with its assignment',
  async (t) => {
    const s = setup(t, {
      outcome: { default: () => 'held', fallback: () => 'held' },
      maxInFlight: 2,
      assign: async (ps) => ps.filter((p) => p.correlationId !== 'taken'),
    });
    const held = () =>
      new Promise<PendingPayment[]>((r) => tell(s.supervisor, { type: 'held', replyTo: r })).then((ps) =>
        ps.map((p) => [p.correlationId, p.assignment?.processor ?? null]).sort(),
      );
    accept(s, ['a', 'b', 'c']);
    await sleep(60);
    t.same(
      await held(),
      [
        ['a', 'default'],
        ['b', 'default'],
        ['c', null],
      ],
      'two in flight (assigned), one waiting',
    );
    s.release('default', 1, 'recorded');
    await sleep(60);
    t.same(
      (await held()).map(([id]) => id),
      ['b', 'c'],
      'a recorded and written: no longer held',
    );
    s.release('default', 1, 'rejected'); // b comes back unrecorded: held still, waiting
    await sleep(60);
    t.ok(
      (await held()).some(([id]) => id === 'b'),
      'returned: still held',
    );
    await new Promise<void>((r) => tell(s.supervisor, { type: 'purge', replyTo: r }));
    t.same(await held(), [], 'purged: nothing held');

    // A payment another instance took over (its assignment found it in that instance's hands) is not held here.
    const other = setup(t, {
      outcome: { default: () => 'recorded', fallback: () => 'recorded' },
      assign: async (ps) => ps.filter((p) => p.correlationId !== 'taken'),
    });
    tell(other.supervisor, { type: 'recovered', payments: [pay('taken')] });
    await sleep(60);
    t.same(
      await new Promise<PendingPayment[]>((r) => tell(other.supervisor, { type: 'held', replyTo: r })),
      [],
      'taken by another instance: not held here',
    );
  },
);

t.test(
  'a payment the table already holds (re-posted after the window) is not sent again and counts as a duplicate',
  async (t) => {
    const s = setup(t, {
      outcome: { default: () => 'recorded', fallback: () => 'recorded' },
      recorded: async (ps) => ps.filter((p) => p.correlationId.startsWith('old')),
    });
    accept(s, ['old1', 'new1', 'old2']);
    // Recovered with an assignment and already written (a crash between the insert and the release): done.
    tell(s.supervisor, {
      type: 'recovered',
      payments: [pay('old3', { assignment: { processor: 'fallback', requestedAt: new Date().toISOString() } })],
    });
    t.ok(await eventually(async () => s.writtenIds().length === 1));
    await sleep(50);
    t.same(
      s.sent.default.map((b) => b.correlationId),
      ['new1'],
      'only the payment the table does not hold reaches a processor',
    );
    t.same(s.sent.fallback, []);
    t.match(await s.inspect(), { accepted: 1, duplicates: 2, waiting: 0, checking: 0 });
  },
);

t.test('nothing is sent before its look-up in the table answers; a failed look-up is tried again', async (t) => {
  let failures = 2;
  const s = setup(t, {
    outcome: { default: () => 'recorded', fallback: () => 'recorded' },
    recorded: async () => (failures-- > 0 ? Promise.reject(new Error('postgres down')) : []),
  });
  accept(s, ['p1']);
  await sleep(5);
  t.equal(s.sent.default.length, 0, 'not sent while the table cannot answer');
  t.equal((await s.inspect()).checking, 1, 'counted as checking (a shutdown waits for it)');
  t.ok(await eventually(async () => s.writtenIds().length === 1), 'sent once the look-up answered');
  t.equal(s.sent.default.length, 1, 'once');
});

t.test(
  'claims go one at a time, in order: what arrives meanwhile shares the next claim; a failure keeps the order',
  async (t) => {
    const claims: string[][] = [];
    let gate: (() => void) | null = null;
    let failNext = false;
    const settled: [number, boolean][] = [];
    const notDurable: number[] = [];
    const failures: number[] = [];
    let landed = 0;
    const s = setup(t, {
      outcome: { default: () => 'recorded', fallback: () => 'recorded' },
      claim: async (ps) => {
        claims.push(ps.map((p) => p.correlationId));
        if (claims.length === 1) await new Promise<void>((r) => (gate = r));
        if (failNext) {
          failNext = false;
          throw new Error('OOM command not allowed when used memory > maxmemory');
        }
        return ps;
      },
      hooks: {
        onBatchSettled: (batch, durable) => settled.push([batch, durable]),
        onNotDurable: (n) => notDurable.push(n),
        onClaimFailed: (_, n) => failures.push(n),
        onClaimLanded: () => landed++,
      },
    });
    tell(s.supervisor, { type: 'accepted', payments: [pay('a')], batch: 1 });
    await sleep(10);
    tell(s.supervisor, { type: 'accepted', payments: [pay('b')], batch: 2 });
    tell(s.supervisor, { type: 'accepted', payments: [pay('c'), pay('d')], batch: 3 });
    await sleep(10);
    t.same(claims, [['a']], 'one claim at a time');
    t.equal((await s.inspect()).claiming, 4, 'all four acknowledged and not yet durable');
    failNext = true;
    gate!();
    t.ok(await eventually(async () => s.writtenIds().length === 4));
    t.same(claims, [['a'], ['a', 'b', 'c', 'd']], 'the failed claim first again, with what waited behind it, in order');
    t.same(failures, [1]);
    t.equal(landed, 1);
    t.same(
      settled,
      [
        [1, false],
        [2, true],
        [3, true],
      ],
      'a batch is answered once: 503 at its first failure (it still becomes durable), 202 for the others',
    );
    t.equal(notDurable.at(-1), 0, 'nothing left that is not durable');
    t.equal(Math.max(...notDurable), 4);
  },
);

t.test('a claim that keeps failing is logged once per interval with its count, and once when it ends', async (t) => {
  const logged: { level: string; event: string; occurrences?: number; unreported?: number }[] = [];
  const log = createLogger('test', 'info', (line) => logged.push(JSON.parse(line) as (typeof logged)[number]));
  let failures = 12;
  const s = setup(t, {
    outcome: { default: () => 'recorded', fallback: () => 'recorded' },
    claim: async (ps) => (failures-- > 0 ? Promise.reject(new Error('redis down')) : ps),
    log,
    hooks: { logRepeatMs: 100 },
  });
  for (let i = 0; i < 50; i++) accept(s, [`r${i}`]);
  t.ok(await eventually(async () => s.writtenIds().length === 50));
  const warnings = logged.filter((l) => l.event === 'claim-failed');
  t.ok(warnings.length >= 2 && warnings.length <= 4, `12 failures 20 ms apart, logged ${warnings.length} times`);
  const ended = logged.filter((l) => l.event === 'claim-failed-ended');
  t.equal(ended.length, 1, 'the end is said once');
  t.equal(
    warnings.reduce((n, w) => n + (w.occurrences ?? 0), 0) + (ended[0]?.unreported ?? 0),
    12,
    'every failure is counted, none logged on its own',
  );
});

t.test('a recorded payment stays held until its writer has it in Postgres; onHeld reports each change', async (t) => {
  const counts: number[] = [];
  const s = setup(t, {
    outcome: { default: () => 'recorded', fallback: () => 'recorded' },
    writersStall: true,
    hooks: { onHeld: (n) => counts.push(n) },
  });
  const held = () =>
    new Promise<PendingPayment[]>((r) => tell(s.supervisor, { type: 'held', replyTo: r })).then((ps) =>
      ps.map((p) => p.correlationId).sort(),
    );
  accept(s, ['w1', 'w2']);
  await sleep(80);
  t.same(s.writtenIds(), ['w1', 'w2'], 'recorded, handed to the writers');
  t.same(await held(), ['w1', 'w2'], 'not in Postgres yet: still held, and counted against MAX_HELD');
  tell(s.supervisor, { type: 'written', correlationIds: ['w1'] });
  t.same(await held(), ['w2'], 'written: no longer held');
  t.equal(counts.at(-1), 1, 'onHeld says how many are held after the change');
  t.ok(counts.includes(2), 'and said 2 while both were');
});
