import t from 'tap';
import { WaitingQueue } from '../../../src/actors/supervisor/waiting-queue';
import type { PendingPayment } from '../../../src/domain/pending-payment';

const pay = (id: string, acceptedAt = 0): PendingPayment => ({ correlationId: id, amountCents: 1, acceptedAt });
const ids = (ps: PendingPayment[]) => ps.map((p) => p.correlationId);

t.test('oldest first: take from the front, push behind, put back in front in order', async (t) => {
  const q = WaitingQueue.of([pay('a'), pay('b'), pay('c')]);
  q.push([pay('d')]);
  t.equal(q.length, 4);
  t.same(ids(q.take(2)), ['a', 'b']);
  t.equal(q.length, 2);
  q.putBack([pay('x'), pay('y')]);
  t.same(ids(q.toArray()), ['x', 'y', 'c', 'd'], 'put back ahead of what waited, in their order');
  q.putBack([pay('p'), pay('q'), pay('r')]);
  t.same(ids(q.toArray()), ['p', 'q', 'r', 'x', 'y', 'c', 'd'], 'more than was taken: still in front');
  t.same(ids(q.take(100)), ['p', 'q', 'r', 'x', 'y', 'c', 'd'], 'take past the end: all there is');
  t.equal(q.length, 0);
  t.same(q.take(3), []);
  t.same(q.take(-1), []);
});

t.test('a long backlog: taking and putting back keeps every payment once, in order', async (t) => {
  const q = WaitingQueue.of(Array.from({ length: 10_000 }, (_, i) => pay(`p${i}`, i)));
  // A tick that offers 512 and leaves 500 waiting, many times over: the front moves by 12 each time.
  for (let tick = 0; tick < 500; tick++) {
    const offered = q.take(512);
    q.putBack(offered.slice(12));
  }
  t.equal(q.length, 10_000 - 500 * 12);
  const left = q.toArray();
  t.same(left[0].correlationId, 'p6000');
  t.ok(
    left.every((p, i) => p.acceptedAt === 6000 + i),
    'in order',
  );
});

t.test('oldestAcceptedAt looks at the first ones only; clear empties', async (t) => {
  const q = WaitingQueue.of([pay('a', 50), pay('b', 10), pay('c', 5)]);
  t.equal(q.oldestAcceptedAt(2), 10);
  t.equal(q.oldestAcceptedAt(10), 5);
  q.clear();
  t.equal(q.length, 0);
  t.equal(q.oldestAcceptedAt(10), undefined);
});
