import t from 'tap';
import Redis from 'ioredis';
import { silentLogger } from '../../src/log';
import { DedupeGuard } from '../../src/store/dedupe-guard';
import { PendingPayments, type PendingPayment } from '../../src/store/pending-payments';

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
  held: PendingPayment[],
) {
  const subscriber = new Redis(REDIS_URL);
  t.teardown(() => subscriber.disconnect());
  const pending = new PendingPayments(redis, prefix, id);
  const guard = new DedupeGuard({
    redis,
    subscriber,
    prefix,
    instanceId: id,
    pending,
    recordedIds: async function* () {
      yield* [recorded];
    },
    held: async () => held,
    timeoutMs: 1000,
    log: silentLogger,
  });
  return { pending, guard };
}

t.test(
  'before it knows a marker, an instance claims as before; once it does, a vanished marker stops claims',
  async (t) => {
    const prefix = `${base}1:`;
    const a = new PendingPayments(redis, prefix, 'a');
    t.same((await a.claimFresh([payment('x1')])).length, 1, 'no marker known: no check');
    await redis.set(a.epochKey(), 'e1');
    a.epoch = 'e1';
    t.same((await a.claimFresh([payment('x2')])).length, 1, 'the marker it knows: claimed');
    await lose(prefix);
    await t.rejects(a.claimFresh([payment('x1')]), LOST, 'marker gone: nothing claimed');
    t.equal(await redis.sismember(`${prefix}seen`, 'x1'), 0, 'and nothing written');
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
      (await redis.smembers(`${prefix}seen`)).sort(),
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
