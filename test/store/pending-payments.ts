import t from 'tap';
import { PendingPayments, type PendingPayment } from '../../src/store/pending-payments';
import { scratchRedis } from '../fixtures/pipeline';

const { redis, prefix } = scratchRedis(t, 'pending');
const payment = (id: string, extra: Partial<PendingPayment> = {}): PendingPayment => ({
  correlationId: id,
  amountCents: 2005,
  acceptedAt: 1000,
  ...extra,
});

t.test('claimFresh keeps payments never seen by any instance, durable under their owner', async (t) => {
  const a = new PendingPayments(redis, prefix, 'a');
  const b = new PendingPayments(redis, prefix, 'b');
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
  const a = new PendingPayments(redis, prefix, 'a-twice');
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
  const a = new PendingPayments(redis, prefix, 'a');
  const assigned = { processor: 'default' as const, requestedAt: '2025-07-10T12:00:00.000Z' };
  const b = new PendingPayments(redis, prefix, 'b');
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
  const forgotten = await a.assign([payment('forgotten', { assignment: assigned })]);
  t.same(
    forgotten.map((p) => p.correlationId),
    ['forgotten'],
    'a payment Redis forgot (restart without persistence) is taken back, not dropped',
  );
  await a.complete(['forgotten']);
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
  const dead = new PendingPayments(redis, `${prefix}orph:`, 'dead');
  const live = new PendingPayments(redis, `${prefix}orph:`, 'live');
  const other = new PendingPayments(redis, `${prefix}orph:`, 'other');
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
  const a = new PendingPayments(redis, prefix, 'a');
  await a.heartbeat(10_000);
  await a.purge();
  t.same(await a.owned(), []);
  t.same((await a.claimFresh([payment('1')])).length, 1, 'a purged id may be accepted again');
});
