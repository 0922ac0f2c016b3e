import t from 'tap';
import { planRoutes, type RoutingInput } from '../../../src/actors/supervisor/route-plan';
import type { PendingPayment } from '../../../src/domain/pending-payment';

const NOW = 100_000;
const queue = (ages: number[]): PendingPayment[] =>
  ages.map((age, i) => ({ correlationId: `p${i}`, amountCents: 100, acceptedAt: NOW - age }));
const input = (over: Partial<RoutingInput>): RoutingInput => ({
  queue: queue([5, 4, 3, 2, 1]),
  now: NOW,
  defaultWaitMs: 1000,
  capacity: () => Infinity,
  unavailable: () => null,
  ...over,
});
const ids = (ps: PendingPayment[]) => ps.map((p) => p.correlationId);

t.test('default takes everything it has room for, in order', async (t) => {
  const plan = planRoutes(input({}));
  t.same(ids(plan.default), ['p0', 'p1', 'p2', 'p3', 'p4']);
  t.same(plan.fallback, []);
  const limited = planRoutes(input({ capacity: (p) => (p === 'default' ? 2 : Infinity) }));
  t.same(ids(limited.default), ['p0', 'p1']);
  t.same(ids(limited.waiting), ['p2', 'p3', 'p4'], 'the rest wait for default: it is healthy, only busy');
});

t.test('default too slow for the consistency window: fallback takes the rest at once', async (t) => {
  const plan = planRoutes(
    input({ capacity: (p) => (p === 'default' ? 1 : Infinity), unavailable: (p) => (p === 'default' ? 'slow' : null) }),
  );
  t.same(ids(plan.default), ['p0'], 'one probe to default');
  t.same(ids(plan.fallback), ['p1', 'p2', 'p3', 'p4']);
});

t.test('default failing: only payments that waited DEFAULT_WAIT_MS go to fallback', async (t) => {
  const plan = planRoutes(
    input({
      queue: queue([3000, 1500, 999, 10]),
      capacity: (p) => (p === 'default' ? 0 : Infinity),
      unavailable: (p) => (p === 'default' ? 'failing' : null),
    }),
  );
  t.same(ids(plan.fallback), ['p0', 'p1']);
  t.same(ids(plan.waiting), ['p2', 'p3']);
});

t.test('fallback without room: everything waits, nothing is dropped', async (t) => {
  const plan = planRoutes(
    input({ queue: queue([3000, 2000, 10]), capacity: (p) => (p === 'default' ? 0 : 1), unavailable: () => 'failing' }),
  );
  t.same(ids(plan.fallback), ['p0'], 'fallback takes what it has room for');
  t.same(ids(plan.waiting), ['p1', 'p2']);
  const none = planRoutes(input({ queue: queue([3000]), capacity: () => 0, unavailable: () => 'failing' }));
  t.same(ids(none.waiting), ['p0']);
  t.equal(none.default.length + none.fallback.length, 0);
});

t.test('an empty queue plans nothing', async (t) => {
  t.same(planRoutes(input({ queue: [] })), { default: [], fallback: [], waiting: [] });
});

t.test('default slowing (how slow, not known yet): payments wait for it, as for a failing one', async (t) => {
  const plan = planRoutes(
    input({
      capacity: (p) => (p === 'default' ? 0 : Infinity),
      unavailable: (p) => (p === 'default' ? 'slowing' : null),
    }),
  );
  t.same(plan.fallback, [], 'fallback takes none: its answers may yet say default is fine');
  t.same(ids(plan.waiting), ['p0', 'p1', 'p2', 'p3', 'p4']);
  const old = planRoutes(
    input({
      queue: queue([1500, 5]),
      capacity: (p) => (p === 'default' ? 0 : Infinity),
      unavailable: (p) => (p === 'default' ? 'slowing' : null),
    }),
  );
  t.same(ids(old.fallback), ['p0'], 'one that waited DEFAULT_WAIT_MS goes to fallback');
});
