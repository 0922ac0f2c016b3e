import t from 'tap';
import Redis from 'ioredis';
import { createLogger, silentLogger, type Logger } from '../../src/shared/log';
import { setTimeout as sleep } from 'node:timers/promises';
import { DedupeGuard } from '../../src/cluster/dedupe-guard';
import { PendingPayments } from '../../src/store/pending-payments';
import { type PendingPayment } from '../../src/domain/pending-payment';

/** What a refused claim rejects with. */
const LOST = { name: 'DedupeLostError' };
import { REDIS_URL, scratchRedis } from '../fixtures/pipeline';

const { redis, prefix: base } = scratchRedis(t, 'dedupe');
const payment = (id: string, extra: Partial<PendingPayment> = {}): PendingPayment => ({
  correlationId: id,
  amountCents: 100,
  acceptedAt: 1000,
  ...extra,
});

/** Every id in the dedupe window: the union of its slices. */
async function windowIds(prefix: string): Promise<string[]> {
  const keys = await redis.keys(`${prefix}seen:*`);
  return keys.length > 0 ? (await redis.sunion(...keys)).sort() : [];
}

/** Everything under a prefix gone, as after a Redis restart without persistence or a FLUSHALL. */
async function lose(prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
}

function guardOf(
  t: { teardown(fn: () => unknown): void },
  prefix: string,
  id: string,
  recorded: string[],
  held: PendingPayment[] | (() => Promise<PendingPayment[]>),
  log: Logger = silentLogger,
) {
  const subscriber = new Redis(REDIS_URL);
  t.teardown(() => subscriber.disconnect());
  const pending = new PendingPayments(redis, prefix, id, 60_000);
  const guard = new DedupeGuard({
    redis,
    subscriber,
    prefix,
    instanceId: id,
    pending,
    recordedIds: async function* () {
      yield* [recorded];
    },
    held: typeof held === 'function' ? held : async () => held,
    timeoutMs: 1000,
    log,
  });
  return { pending, guard };
}

t.test(
  'before it knows a marker, an instance claims as before; once it does, a vanished marker stops claims',
  async (t) => {
    const prefix = `${base}1:`;
    const a = new PendingPayments(redis, prefix, 'a', 60_000);
    t.same((await a.claimFresh([payment('x1')])).length, 1, 'no marker known: no check');
    await redis.set(a.epochKey(), 'e1');
    a.epoch = 'e1';
    t.same((await a.claimFresh([payment('x2')])).length, 1, 'the marker it knows: claimed');
    await lose(prefix);
    await t.rejects(a.claimFresh([payment('x1')]), LOST, 'marker gone: nothing claimed');
    t.notOk((await windowIds(prefix)).includes('x1'), 'and nothing written');
    await redis.set(a.epochKey(), 'e2');
    await t.rejects(a.claimFresh([payment('x3')]), LOST, 'another marker (rebuilt meanwhile): refused too');
  },
);

t.test(
  'a rebuild puts back what Postgres recorded and what every instance holds, then writes the marker',
  async (t) => {
    const prefix = `${base}2:`;
    const heldByA = [
      payment('in-flight-a', { assignment: { processor: 'default', requestedAt: '2025-07-10T12:00:00.000Z' } }),
    ];
    const heldByB = [payment('waiting-b')];
    const a = guardOf(t, prefix, 'a', ['recorded-1', 'recorded-2'], heldByA);
    const b = guardOf(t, prefix, 'b', ['recorded-1', 'recorded-2'], heldByB);
    await a.guard.start();
    await b.guard.start();
    t.ok(a.pending.epoch && a.pending.epoch === b.pending.epoch, 'both know the same marker');

    await lose(prefix);
    await t.rejects(a.pending.claimFresh([payment('recorded-1')]), LOST);
    await a.guard.ensure();
    t.not(a.pending.epoch, null);
    t.equal(await redis.get(`${prefix}epoch`), a.pending.epoch, 'a new marker, once rebuilt');
    t.same(
      await windowIds(prefix),
      ['in-flight-a', 'recorded-1', 'recorded-2', 'waiting-b'],
      "Postgres' ids and both instances' payments are seen again",
    );
    t.match(
      await a.pending.owned(),
      [{ correlationId: 'in-flight-a', assignment: { processor: 'default', requestedAt: '2025-07-10T12:00:00.000Z' } }],
      'with their assignments, in their owners pending hashes',
    );
    t.match(await b.pending.owned(), [{ correlationId: 'waiting-b' }]);

    t.same(
      await a.pending
        .claimFresh([payment('recorded-1'), payment('in-flight-a'), payment('new')])
        .then((ps) => ps.map((p) => p.correlationId)),
      ['new'],
      'a re-posted id is a duplicate again',
    );
    await t.rejects(b.pending.claimFresh([payment('waiting-b')]), LOST, 'b still knows the old marker');
    await b.guard.ensure();
    t.equal(b.pending.epoch, a.pending.epoch, 'b adopts the new one');
    t.same(
      await b.pending.claimFresh([payment('waiting-b'), payment('new-b')]).then((ps) => ps.map((p) => p.correlationId)),
      ['new-b'],
    );
  },
);

t.test('a rebuild waits until every instance has put its payments back', async (t) => {
  const prefix = `${base}3:`;
  const a = guardOf(t, prefix, 'a', [], []);
  // b takes a while to say what it holds.
  const b = guardOf(t, prefix, 'b', [], () => sleep(300).then(() => [payment('slow-b')]));
  await a.guard.start();
  await b.guard.start();
  await lose(prefix);
  await a.guard.ensure();
  t.ok((await windowIds(prefix)).includes('slow-b'), "b's payment is seen by the time the marker is back");
});

t.test('an instance that never answers: the rebuild goes on after the time limit, and says so', async (t) => {
  const prefix = `${base}4:`;
  const logged: { event: string; recordedIds?: number; instancesAnswered?: boolean }[] = [];
  const log = createLogger('a', 'warn', (line) => logged.push(JSON.parse(line) as (typeof logged)[number]));
  const a = guardOf(t, prefix, 'a', ['r1', 'r2', 'r3'], [payment('mine')], log);
  const hung = guardOf(t, prefix, 'hung', [], () => new Promise<PendingPayment[]>(() => undefined));
  await a.guard.start();
  await hung.guard.start().catch(() => undefined);
  logged.length = 0;
  await lose(prefix);
  const started = Date.now();
  await a.guard.ensure();
  t.ok(Date.now() - started >= 900, 'it waited for the time limit (1 s)');
  t.not(await redis.get(`${prefix}epoch`), null, 'then wrote the marker');
  t.same(await windowIds(prefix), ['mine', 'r1', 'r2', 'r3']);
  t.match(logged, [{ event: 'dedupe-memory-rebuilt', recordedIds: 3, instancesAnswered: false }]);
});

t.test('rebuilds asked at once on one instance run once', async (t) => {
  const prefix = `${base}5:`;
  const logged: { event: string; instancesAnswered?: boolean }[] = [];
  const log = createLogger('a', 'warn', (line) => logged.push(JSON.parse(line) as (typeof logged)[number]));
  const a = guardOf(t, prefix, 'a', ['r1'], [], log);
  await a.guard.start();
  logged.length = 0;
  await lose(prefix);
  await Promise.all([a.guard.ensure(), a.guard.ensure(), a.guard.ensure()]);
  t.equal(logged.filter((l) => l.event === 'dedupe-memory-rebuilt').length, 1, 'one rebuild');
  t.match(logged[0], { event: 'dedupe-memory-rebuilt', instancesAnswered: true }, 'every instance answered');
});

t.test('an instance that finds a new marker puts back what it holds before it adopts it', async (t) => {
  const prefix = `${base}6:`;
  const heldByB: PendingPayment[] = [];
  const a = guardOf(t, prefix, 'a', [], []);
  const b = guardOf(t, prefix, 'b', [], async () => heldByB);
  await a.guard.start();
  await b.guard.start();
  await lose(prefix);
  await a.guard.ensure();
  // Taken by b after a's request (or while b was reconnecting, so that it never heard it).
  heldByB.push(payment('late-b'));
  await b.guard.ensure();
  t.ok((await windowIds(prefix)).includes('late-b'));
  t.match(await b.pending.owned(), [{ correlationId: 'late-b' }]);
});

t.test('an instance that cannot say what it holds logs it', async (t) => {
  const prefix = `${base}7:`;
  const logged: { event: string; err?: { message: string } }[] = [];
  const log = createLogger('b', 'warn', (line) => logged.push(JSON.parse(line) as (typeof logged)[number]));
  const a = guardOf(t, prefix, 'a', [], []);
  const b = guardOf(t, prefix, 'b', [], () => Promise.reject(new Error('actor did not answer')), log);
  await a.guard.start();
  await b.guard.start().catch(() => undefined);
  logged.length = 0;
  await lose(prefix);
  await a.guard.ensure();
  t.match(logged, [{ event: 'dedupe-restore-failed', err: { message: 'actor did not answer' } }]);
});

t.test('two instances that rebuild at once end with one marker, the one Redis kept', async (t) => {
  const prefix = `${base}race:`;
  const a = guardOf(t, prefix, 'a', ['r1'], []);
  const b = guardOf(t, prefix, 'b', ['r1'], []);
  await a.guard.start();
  await b.guard.start();
  await lose(prefix);
  await Promise.all([a.guard.ensure(), b.guard.ensure()]);
  const kept = await redis.get(`${prefix}epoch`);
  t.not(kept, null, 'a marker was written');
  t.equal(a.pending.epoch, kept, 'a knows the marker Redis kept');
  t.equal(b.pending.epoch, kept, 'b knows the same one');
  t.same((await a.pending.claimFresh([payment('after')])).length, 1, 'and claims go on');
});
