import t from 'tap';
import { PendingPayments, type PendingPayment } from '../../src/store/pending-payments';
import { setTimeout as sleep } from 'node:timers/promises';
import { scratchRedis } from '../fixtures/pipeline';

const { redis, prefix } = scratchRedis(t, 'pending');
const payment = (id: string, extra: Partial<PendingPayment> = {}): PendingPayment => ({
  correlationId: id,
  amountCents: 2005,
  acceptedAt: 1000,
  ...extra,
});

t.test('claimFresh keeps payments never seen by any instance, durable under their owner', async (t) => {
  const a = new PendingPayments(redis, prefix, 'a', 60_000);
  const b = new PendingPayments(redis, prefix, 'b', 60_000);
  t.same(
    (await a.claimFresh([payment('1'), payment('2')])).map((p) => p.correlationId),
    ['1', '2'],
  );
  t.same(
    (await b.claimFresh([payment('2'), payment('3')])).map((p) => p.correlationId),
    ['3'],
    'a duplicate from another instance is dropped',
  );
  t.same(await a.claimFresh([]), []);
  t.same((await a.owned()).map((p) => p.correlationId).sort(), ['1', '2']);
  t.same(await b.owned(), [payment('3')]);
});

t.test('an id posted twice in one batch (a client retrying at once) is claimed once', async (t) => {
  const a = new PendingPayments(redis, prefix, 'a-twice', 60_000);
  t.same(
    (await a.claimFresh([payment('t1'), payment('t2'), payment('t1', { amountCents: 1 }), payment('t1')])).map((p) => [
      p.correlationId,
      p.amountCents,
    ]),
    [
      ['t1', 2005],
      ['t2', 2005],
    ],
    'each fresh id once, as first posted',
  );
});

t.test('assignments are written only while the payment is still owned', async (t) => {
  const a = new PendingPayments(redis, prefix, 'a', 60_000);
  const assigned = { processor: 'default' as const, requestedAt: '2025-07-10T12:00:00.000Z' };
  const b = new PendingPayments(redis, prefix, 'b', 60_000);
  const owned = await a.assign([payment('1', { assignment: assigned }), payment('3', { assignment: assigned })]);
  t.same(
    owned.map((p) => p.correlationId),
    ['1'],
    "a payment in another instance's hash is not assigned here",
  );
  t.same(
    (await b.owned()).map((p) => p.correlationId),
    ['3'],
    'it stays with its owner',
  );
  const gone = await a.assign([payment('gone', { assignment: assigned })]);
  t.same(gone, [], 'a payment in no hash (taken and finished by another instance) is not assigned here');
  t.same((await a.owned()).find((p) => p.correlationId === '1')!.assignment, assigned, 'the assignment is durable');
  t.same(await a.assign([]), []);
  await a.complete(['1']);
  t.same(
    (await a.owned()).map((p) => p.correlationId),
    ['2'],
    'completed payments are forgotten',
  );
  await a.complete([]);
});

t.test('orphans of an instance whose heartbeat expired are claimed with their assignments, once', async (t) => {
  const dead = new PendingPayments(redis, `${prefix}orph:`, 'dead', 60_000);
  const live = new PendingPayments(redis, `${prefix}orph:`, 'live', 60_000);
  const other = new PendingPayments(redis, `${prefix}orph:`, 'other', 60_000);
  await dead.heartbeat(100);
  await live.heartbeat(10_000);
  await other.heartbeat(10_000);
  await dead.claimFresh([payment('x'), payment('y')]);
  await dead.assign([payment('x', { assignment: { processor: 'fallback', requestedAt: '2025-07-10T12:00:00.000Z' } })]);
  await other.claimFresh([payment('z')]);
  t.same((await live.liveInstances()).sort(), ['dead', 'live', 'other']);
  t.same(await live.claimOrphans(), [], 'nothing is claimed while its owner beats');
  await new Promise((r) => setTimeout(r, 150));
  t.same((await live.liveInstances()).sort(), ['live', 'other']);
  const claimed = await live.claimOrphans();
  t.same(claimed.map((p) => p.correlationId).sort(), ['x', 'y'], "only the dead instance's payments");
  t.same(claimed.find((p) => p.correlationId === 'x')!.assignment, {
    processor: 'fallback',
    requestedAt: '2025-07-10T12:00:00.000Z',
  });
  t.same(await other.claimOrphans(), [], 'claimed once');
  t.same((await live.owned()).map((p) => p.correlationId).sort(), ['x', 'y']);
  await live.leave();
  t.same((await other.liveInstances()).sort(), ['other']);
});

t.test('purge forgets every seen id and every pending payment', async (t) => {
  const a = new PendingPayments(redis, prefix, 'a', 60_000);
  await a.heartbeat(10_000);
  await a.purge();
  t.same(await a.owned(), []);
  t.same((await a.claimFresh([payment('1')])).length, 1, 'a purged id may be accepted again');
});

t.test(
  'the window forgets an id after DEDUPE_WINDOW_MS, not before; a pending payment is remembered whatever its age',
  async (t) => {
    const p = `${prefix}window:`;
    const a = new PendingPayments(redis, p, 'a', 400);
    const b = new PendingPayments(redis, p, 'b', 400);
    await a.heartbeat(10_000);
    await b.heartbeat(10_000);
    t.equal((await a.claimFresh([payment('w1'), payment('w2')])).length, 2);
    await a.complete(['w1']); // recorded: only the window remembers it now
    await sleep(250);
    // (A duplicate refreshes the id's place in the window: the last post counts.)
    t.same(await b.claimFresh([payment('w1'), payment('w2')]), [], 'within the window: both are duplicates');
    await sleep(800);
    t.same(
      (await b.claimFresh([payment('w1'), payment('w2')])).map((x) => x.correlationId),
      ['w1'],
      'after the window the recorded one is not known to Redis (the table answers for it); the pending one still is',
    );
    const slices = await redis.keys(`${p}seen:*`);
    t.ok(slices.length > 0 && slices.length <= 5, `the window is kept in at most 5 slices (${slices.length})`);
    for (const key of slices) t.ok((await redis.pttl(key)) > 0, `${key} expires`);
    await sleep(700);
    t.same(await redis.keys(`${p}seen:*`), [], 'and every slice is gone once its window has passed');
  },
);

t.test('after Redis lost its data, assignments wait for the rebuild instead of guessing', async (t) => {
  const p = `${prefix}fence:`;
  const a = new PendingPayments(redis, p, 'a', 60_000);
  await redis.set(a.epochKey(), 'e1');
  a.epoch = 'e1';
  await a.claimFresh([payment('f1')]);
  await redis.del(a.epochKey());
  await t.rejects(
    a.assign([payment('f1', { assignment: { processor: 'default', requestedAt: '2025-07-10T12:00:00.000Z' } })]),
    { name: 'DedupeLostError' },
  );
});

t.test('the set of every id ever seen that earlier versions kept is dropped', async (t) => {
  const p = `${prefix}legacy:`;
  await redis.sadd(`${p}seen`, 'x', 'y');
  await new PendingPayments(redis, p, 'a', 60_000).forgetUnboundedHistory();
  t.equal(await redis.exists(`${p}seen`), 0);
});

t.test("Redis' memory and its cap are read for /metrics", async (t) => {
  const m = await new PendingPayments(redis, prefix, 'a', 60_000).memory();
  t.ok(m.used > 0, `used ${m.used} bytes`);
  t.ok(m.max >= 0);
});
