import t from 'tap';
import { startActorSystem, stopActorSystem, tell } from '../../../src/actors/kit/actor';
import { allowanceOf, AVAILABLE, unavailableOf } from '../../../src/actors/processor/availability';
import { spawnProcessorActor } from '../../../src/actors/processor/processor-actor';
import type { ProcessorActorSnapshot, SettledReport } from '../../../src/actors/processor/protocol';
import { createLogger, silentLogger, type Logger } from '../../../src/shared/log';
import type { ProcessorPaymentBody } from '../../../src/domain/payment';
import type { LookupResult, PaymentAttempt, PaymentOutcome } from '../../../src/domain/processor-answers';
import type { PendingPayment } from '../../../src/domain/pending-payment';
import { setTimeout as sleep } from 'node:timers/promises';

const pay = (id: string, extra: Partial<PendingPayment> = {}): PendingPayment => ({
  correlationId: id,
  amountCents: 2005,
  acceptedAt: Date.now(),
  ...extra,
});

interface Script {
  /** 'throws': the gateway's promise rejects instead of settling with an outcome; 'held': unanswered until released. */
  outcomes: (PaymentOutcome | 'throws' | 'held')[];
  /** The actor's clock (real time when not given). */
  now?: () => number;
  latencyMs?: number;
  lookup?: LookupResult | 'throws';
  owned?: (ps: PendingPayment[]) => PendingPayment[] | Promise<PendingPayment[]>;
  /** Which pinned ids are still this instance's (all, when not given); rejects while it is true. */
  stillOwned?: (ids: string[]) => string[];
  ownershipUnknown?: boolean;
  log?: Logger;
}

function setup(t: { teardown(fn: () => unknown): void }, script: Script, settleMs = 10_000) {
  const system = startActorSystem(`processor-test-${Math.random()}`);
  const sent: ProcessorPaymentBody[] = [];
  const lookups: string[] = [];
  const reports: SettledReport[] = [];
  const held: ((outcome: PaymentOutcome) => void)[] = [];
  const release = (outcome: PaymentOutcome) => held.splice(0).forEach((answer) => answer(outcome));
  let availability = AVAILABLE;
  const ref = spawnProcessorActor(system, {
    processor: 'default',
    gateway: {
      pay: async (body): Promise<PaymentAttempt> => {
        sent.push(body);
        const planned = script.outcomes.length > 1 ? script.outcomes.shift()! : script.outcomes[0];
        if (script.latencyMs) await sleep(script.latencyMs);
        if (planned === 'throws') throw new Error('socket hang up');
        const outcome = planned === 'held' ? await new Promise<PaymentOutcome>((r) => held.push(r)) : planned;
        return {
          outcome,
          status: outcome === 'recorded' ? 200 : outcome === 'rejected' ? 500 : null,
          latencyMs: script.latencyMs ?? 1,
        };
      },
      lookup: async (id) => {
        lookups.push(id);
        if (script.lookup === 'throws') throw new Error('lookup failed');
        return script.lookup ?? { found: 'unknown' };
      },
    },
    ledger: {
      assign: async (ps) => (script.owned ? script.owned(ps) : ps),
      stillOwned: async (ids) => {
        if (script.ownershipUnknown) throw new Error('Redis unreachable');
        return new Set(script.stillOwned ? script.stillOwned(ids) : ids);
      },
    },
    report: (r) => reports.push(r),
    reportAvailability: (r) => (availability = r.availability),
    failureThreshold: 2,
    cooldownMs: 100,
    horizonMs: 1500,
    slowMarginMs: 100,
    settleMs,
    pinnedRetryMs: 30,
    watchMs: 10,
    log: script.log ?? silentLogger,
    now: script.now,
  });
  // What the supervisor routes on: the availability the actor last reported.
  const gauge = { allowance: () => allowanceOf(availability), unavailable: () => unavailableOf(availability) };
  const actor = { ref, gauge };
  t.teardown(() => {
    tell(actor.ref, { type: 'stop-watching' });
    stopActorSystem(system);
  });
  const inspect = () => new Promise<ProcessorActorSnapshot>((r) => tell(actor.ref, { type: 'inspect', replyTo: r }));
  const recorded = () => reports.flatMap((r) => r.recorded.map((p) => p.correlationId));
  const returned = () => reports.flatMap((r) => r.returned.map((p) => p.correlationId));
  return { actor, sent, lookups, reports, inspect, recorded, returned, release };
}

t.test('recorded payments are reported with the requestedAt that was sent', async (t) => {
  const a = setup(t, { outcomes: ['recorded'] });
  tell(a.actor.ref, { type: 'send', payments: [pay('a'), pay('b')] });
  await sleep(50);
  t.same(a.recorded().sort(), ['a', 'b']);
  const r = a.reports.flatMap((x) => x.recorded).find((p) => p.correlationId === 'a')!;
  t.equal(r.requestedAt, a.sent.find((b) => b.correlationId === 'a')!.requestedAt);
  t.equal(r.processor, 'default');
  t.equal(a.sent[0].amount, 20.05);
  t.match(await a.inspect(), { name: 'processor-default', inFlight: 0, pinned: 0, recordedTotal: 2 });
});

t.test('a 422 is looked up, and recorded as the processor holds it: its amount and requestedAt', async (t) => {
  const held = { found: true as const, amount: 1, requestedAt: '2025-07-10T11:00:00.000Z' };
  const a = setup(t, { outcomes: ['duplicate'], lookup: held });
  tell(a.actor.ref, { type: 'send', payments: [pay('dup')] });
  await sleep(50);
  t.same(a.lookups, ['dup'], 'looked up once');
  t.same(a.sent.length, 1, 'not sent again');
  t.match(
    a.reports.flatMap((r) => r.recorded),
    [{ correlationId: 'dup', amountCents: 100, requestedAt: held.requestedAt, processor: 'default' }],
  );
  t.match(await a.inspect(), { pinned: 0, inFlight: 0, recordedTotal: 1 });
});

t.test('a 500 returns the payment, without its assignment, for another route', async (t) => {
  const a = setup(t, { outcomes: ['rejected'] });
  tell(a.actor.ref, { type: 'send', payments: [pay('x')] });
  await sleep(50);
  t.same(a.returned(), ['x']);
  t.equal(a.reports[0].returned[0].assignment, undefined);
});

t.test(
  'a lost answer pins the payment: sent again with the same body until recorded, never returned meanwhile',
  async (t) => {
    const a = setup(t, { outcomes: ['unknown', 'rejected', 'unknown', 'recorded'] });
    tell(a.actor.ref, { type: 'send', payments: [pay('p')] });
    await sleep(20);
    t.match(await a.inspect(), { pinned: 1, inFlight: 1 });
    await sleep(250);
    t.same(a.recorded(), ['p'], 'recorded in the end');
    t.same(a.returned(), [], 'a 500 after a lost answer did not release it');
    t.equal(a.sent.length, 4);
    t.ok(
      a.sent.every((b) => b.requestedAt === a.sent[0].requestedAt),
      'every attempt carried the same requestedAt',
    );
  },
);

t.test(
  'a gateway call that rejects is an unknown outcome: the payment stays pinned here, never returned',
  async (t) => {
    const a = setup(t, { outcomes: ['throws', 'throws', 'recorded'] });
    tell(a.actor.ref, { type: 'send', payments: [pay('r')] });
    await sleep(20);
    t.match(await a.inspect(), { pinned: 1 }, 'pinned after the first rejection');
    await sleep(250);
    t.same(a.returned(), [], 'never offered to another route');
    t.same(a.recorded(), ['r'], 'recorded once the processor answers');
    t.equal(a.sent.length, 3);
    t.ok(
      a.sent.every((b) => b.requestedAt === a.sent[0].requestedAt),
      'sent again with the same body',
    );

    const looking = setup(t, { outcomes: ['throws', 'rejected'], lookup: 'throws' }, 60);
    tell(looking.actor.ref, { type: 'send', payments: [pay('q')] });
    await sleep(250);
    t.ok(
      looking.lookups.length > 1,
      `a look-up that rejects decides nothing: it is asked again (${looking.lookups.length} look-ups)`,
    );
    t.same(looking.returned(), [], 'and the payment is not released');
    t.same(looking.recorded(), []);
  },
);

t.test(
  'after the settle time a lookup decides: not there -> returned; there -> recorded as the processor has it',
  async (t) => {
    const gone = setup(t, { outcomes: ['unknown', 'rejected'], lookup: { found: false } }, 60);
    tell(gone.actor.ref, { type: 'send', payments: [pay('g')] });
    await sleep(250);
    t.same(gone.returned(), ['g']);
    t.same(gone.lookups.slice(0, 1), ['g']);
    const there = setup(
      t,
      {
        outcomes: ['unknown', 'rejected'],
        lookup: { found: true, amount: 20.05, requestedAt: '2025-07-10T12:00:00.000Z' },
      },
      60,
    );
    tell(there.actor.ref, { type: 'send', payments: [pay('h')] });
    await sleep(250);
    t.same(there.recorded(), ['h']);
    t.equal(there.reports.flatMap((r) => r.recorded)[0].requestedAt, '2025-07-10T12:00:00.000Z');
  },
);

t.test('a recovered payment with an assignment here is pinned and resent with its own requestedAt', async (t) => {
  const a = setup(t, { outcomes: ['recorded'] });
  tell(a.actor.ref, {
    type: 'send',
    payments: [pay('r', { assignment: { processor: 'default', requestedAt: '2025-01-01T00:00:00.000Z' } })],
  });
  await sleep(100);
  t.same(a.recorded(), ['r']);
  t.equal(a.sent[0].requestedAt, '2025-01-01T00:00:00.000Z');
});

t.test('assignments: taken by another instance -> dropped; Redis failing -> returned', async (t) => {
  const a = setup(t, { outcomes: ['recorded'], owned: (ps) => ps.filter((p) => p.correlationId !== 'theirs') });
  tell(a.actor.ref, { type: 'send', payments: [pay('mine'), pay('theirs')] });
  await sleep(50);
  t.same(a.recorded(), ['mine']);
  t.same(
    a.reports.flatMap((r) => r.dropped),
    ['theirs'],
  );
  t.equal(a.sent.length, 1, 'nothing sent for the one taken elsewhere');
  const b = setup(t, { outcomes: ['recorded'], owned: () => Promise.reject(new Error('redis down')) });
  tell(b.actor.ref, { type: 'send', payments: [pay('q')] });
  await sleep(80);
  t.same(b.returned(), ['q'], 'not sent without a durable assignment');
  t.equal(b.sent.length, 0);
});

t.test('a payment unanswered past the expected delay marks the processor slow', async (t) => {
  const a = setup(t, { outcomes: ['recorded'], latencyMs: 250 });
  tell(a.actor.ref, { type: 'send', payments: [pay('s')] });
  await sleep(150);
  t.match(await a.inspect(), { unavailable: 'slowing', breaker: { state: 'open' } }, 'how slow, its answer will tell');
  t.equal(a.actor.gauge.unavailable(), 'slowing');
  tell(a.actor.ref, {
    type: 'health',
    health: { failing: false, minResponseTime: 5, checkedAt: Date.now() + 1, checkedBy: 'x' },
  });
  await sleep(300);
  t.equal(a.actor.gauge.unavailable(), null, 'a fresh healthy report closes it');
});

t.test('the watchdog looks when the oldest payment would become late, on its clock, not every watchMs', async (t) => {
  const clock = { ms: 1_000_000 };
  const a = setup(t, { outcomes: ['held'], now: () => clock.ms });
  tell(a.actor.ref, { type: 'send', payments: [pay('w')] });
  await sleep(40); // several watches (watchMs 10): the clock has not moved
  clock.ms += 99; // the margin is 100 ms over an expected delay of 0
  await sleep(40);
  t.equal(a.actor.gauge.unavailable(), null, '99 ms: not late yet');
  clock.ms += 1;
  await sleep(15);
  t.equal(a.actor.gauge.unavailable(), 'slowing', '100 ms: slowing at the next look');
  clock.ms += 200;
  await sleep(15);
  t.equal(a.actor.gauge.allowance(), 0, 'past the cool-down, no probe while the payment is on its way');
  a.release('recorded');
  await sleep(30);
  t.match(await a.inspect(), { unavailable: null, recordedTotal: 1 }, 'its answer, below the horizon, reopens it');
});

t.test('a processor slower than our time-out: a pinned payment is looked up, found, recorded', async (t) => {
  const clock = { ms: 1_000_000 };
  const held = { found: true as const, amount: 20.05, requestedAt: '2025-07-10T12:00:00.000Z' };
  const a = setup(t, { outcomes: ['unknown', 'unknown', 'unknown'], lookup: held, now: () => clock.ms });
  tell(a.actor.ref, { type: 'send', payments: [pay('p1'), pay('p2'), pay('p3')] });
  await sleep(30);
  t.equal(a.actor.gauge.unavailable(), 'failing', 'three lost answers open the breaker');
  clock.ms += 40; // past PINNED_RETRY_MS (30): due again
  await sleep(60);
  t.same(a.lookups.sort(), ['p1', 'p2', 'p3'], 'looked up before anything is sent again');
  t.equal(a.sent.length, 3, 'not sent again: the processor had them');
  t.same(a.recorded().sort(), ['p1', 'p2', 'p3']);
  t.equal(a.actor.gauge.unavailable(), null, 'found recorded below the horizon: it records, only slowly');
});

t.test('a pinned payment not found while an attempt may still be in its hands is sent again there', async (t) => {
  const clock = { ms: 1_000_000 };
  const a = setup(t, { outcomes: ['unknown', 'recorded'], lookup: { found: false }, now: () => clock.ms });
  tell(a.actor.ref, { type: 'send', payments: [pay('again')] });
  await sleep(30);
  clock.ms += 40;
  await sleep(60);
  t.same(a.lookups, ['again'], 'looked up first');
  t.equal(a.sent.length, 2, 'then the same body again, to the same processor');
  t.equal(a.sent[0].requestedAt, a.sent[1].requestedAt);
  t.same(a.recorded(), ['again']);
});

t.test('a pinned payment is tried again every PINNED_RETRY_MS of its clock, one attempt at a time', async (t) => {
  const clock = { ms: 1_000_000 };
  const a = setup(t, { outcomes: ['unknown', 'held', 'unknown', 'recorded'], now: () => clock.ms }, 10_000);
  tell(a.actor.ref, { type: 'send', payments: [pay('p')] });
  await sleep(60);
  t.equal(a.sent.length, 1, 'the lost answer pins it; with the clock standing still, no retry');
  clock.ms += 29;
  await sleep(40);
  t.equal(a.sent.length, 1, 'not before 30 ms (pinnedRetryMs)');
  clock.ms += 1;
  await sleep(40);
  t.equal(a.sent.length, 2, 'at 30 ms, sent again');
  clock.ms += 500;
  await sleep(60);
  t.equal(a.sent.length, 2, 'while that attempt is unanswered, no other starts, however late it is');
  a.release('unknown');
  await sleep(40);
  t.equal(a.sent.length, 2, 'answered (lost again): the next try waits its 30 ms');
  clock.ms += 30;
  await sleep(40);
  t.equal(a.sent.length, 3);
  clock.ms += 30;
  await sleep(40);
  t.same(a.recorded(), ['p'], 'recorded on the fourth attempt');
  t.equal(a.sent.length, 4);
});

t.test(
  'the fence: a pinned payment another instance took over is not sent again; unknown ownership waits',
  async (t) => {
    const clock = { ms: 1_000_000 };
    const script: Script = {
      outcomes: ['unknown', 'unknown', 'recorded'],
      now: () => clock.ms,
      ownershipUnknown: true,
    };
    const a = setup(t, script);
    tell(a.actor.ref, { type: 'send', payments: [pay('mine'), pay('theirs')] });
    await sleep(40);
    t.equal(a.sent.length, 2, 'both sent once; their answers lost: both pinned');
    clock.ms += 30;
    await sleep(40);
    t.equal(a.sent.length, 2, 'while Redis cannot say who owns them, neither is sent again');
    script.ownershipUnknown = false;
    script.stillOwned = (ids) => ids.filter((id) => id !== 'theirs');
    clock.ms += 30;
    await sleep(60);
    t.same(
      a.sent.slice(2).map((b) => b.correlationId),
      ['mine'],
      'only the one still owned here is sent again',
    );
    t.same(a.recorded(), ['mine']);
    t.same(
      a.reports.flatMap((r) => r.dropped),
      ['theirs'],
      'the one taken over is dropped: its new owner answers for it',
    );
    t.match(await a.inspect(), { pinned: 0, inFlight: 0 });
  },
);

t.test('a pinned payment that a later attempt finds rejected stays here and waits its turn', async (t) => {
  const clock = { ms: 1_000_000 };
  const a = setup(t, { outcomes: ['unknown', 'rejected', 'recorded'], now: () => clock.ms });
  tell(a.actor.ref, { type: 'send', payments: [pay('p')] });
  await sleep(40);
  clock.ms += 30;
  await sleep(40);
  t.equal(a.sent.length, 2, 'tried again after 30 ms: rejected this time');
  await sleep(60);
  t.equal(a.sent.length, 2, 'the earlier attempt may still be recorded: no new try until 30 ms later');
  t.same(a.returned(), [], 'and never given back for another processor');
  clock.ms += 30;
  await sleep(40);
  t.same(a.recorded(), ['p']);
});

t.test('a look-up that cannot tell is asked again PINNED_RETRY_MS later, not at once', async (t) => {
  const clock = { ms: 1_000_000 };
  const a = setup(t, { outcomes: ['unknown'], lookup: { found: 'unknown' }, now: () => clock.ms }, 50);
  tell(a.actor.ref, { type: 'send', payments: [pay('l')] });
  await sleep(40);
  clock.ms += 50;
  await sleep(40);
  t.same(a.lookups, ['l'], 'past settleMs it is looked up instead of sent');
  await sleep(60);
  t.equal(a.lookups.length, 1, 'unknown: with the clock standing still, not again');
  clock.ms += 30;
  await sleep(40);
  t.equal(a.lookups.length, 2, '30 ms later, asked again');
  t.equal(a.sent.length, 1, 'never sent again once it may be looked up');
});

t.test('operators see a failed assignment and a lost answer in the logs', async (t) => {
  const logged: { level: string; event: string; processor?: string; count?: number; correlationId?: string }[] = [];
  const log = createLogger('test', 'debug', (line) => logged.push(JSON.parse(line) as (typeof logged)[number]));
  const a = setup(t, { outcomes: ['recorded'], owned: () => Promise.reject(new Error('redis down')), log });
  tell(a.actor.ref, { type: 'send', payments: [pay('x1'), pay('x2')] });
  const b = setup(t, { outcomes: ['unknown'], log });
  tell(b.actor.ref, { type: 'send', payments: [pay('lost')] });
  await sleep(60);
  t.match(
    logged.find((l) => l.event === 'assignment-failed'),
    { level: 'warn', processor: 'default', count: 2 },
  );
  t.match(
    logged.find((l) => l.event === 'payment-outcome-unknown'),
    { level: 'debug', processor: 'default', correlationId: 'lost', status: null },
  );
});

t.test('payments whose assignment was made durable with their claim are sent at once, as assigned', async (t) => {
  let assignCalls = 0;
  const a = setup(t, { outcomes: ['recorded'], owned: (ps) => (assignCalls++, ps) });
  const requestedAt = '2025-07-10T12:00:00.000Z';
  const before = Date.now();
  tell(a.actor.ref, {
    type: 'send',
    assigned: true,
    payments: [pay('c1', { assignment: { processor: 'default', requestedAt } })],
  });
  await sleep(50);
  t.same(
    a.sent.map((b) => b.correlationId),
    ['c1'],
  );
  const sentAt = Date.parse(a.sent[0].requestedAt);
  t.ok(sentAt >= before && sentAt <= Date.now(), 'its requestedAt is when it was sent, not when it was assigned');
  t.equal(a.reports[0].recorded[0].requestedAt, a.sent[0].requestedAt, 'and recorded as sent');
  t.equal(assignCalls, 0, 'not written again');
  t.match(await a.inspect(), { pinned: 0, recordedTotal: 1 }, 'not pinned: it was never sent before');
});

t.test('a payment offered again while pinned here is not sent a second time', async (t) => {
  const clock = { ms: 1_000_000 };
  const a = setup(t, { outcomes: ['unknown', 'recorded'], now: () => clock.ms });
  tell(a.actor.ref, { type: 'send', payments: [pay('twice')] });
  await sleep(40);
  tell(a.actor.ref, { type: 'send', payments: [pay('twice'), pay('other')] });
  await sleep(40);
  t.same(
    a.sent.map((b) => b.correlationId),
    ['twice', 'other'],
    'only the other one went out',
  );
});

t.test('the snapshot counts what was recorded and what was returned', async (t) => {
  const a = setup(t, { outcomes: ['recorded', 'rejected', 'rejected', 'recorded'] });
  tell(a.actor.ref, { type: 'send', payments: [pay('a'), pay('b'), pay('c'), pay('d')] });
  await sleep(60);
  t.match(await a.inspect(), { recordedTotal: 2, returnedTotal: 2, inFlight: 0, pinned: 0 });
});
