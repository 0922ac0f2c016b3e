import t from 'tap';
import { outcomeOf, SampleStore } from '../../tools/replay/sample-store';

t.test('keeps every sample, in order, past its first capacity', async (t) => {
  const store = new SampleStore();
  const kinds = ['payment', 'summary', 'admin'] as const;
  for (let i = 0; i < 5000; i++) store.push(i / 100, i * 0.001, kinds[i % 3], i % 7 !== 0 ? 202 : 503);
  t.equal(store.length, 5000);
  const all = store.toArray();
  t.equal(all.length, 5000);
  t.same(all[0], { t: 0, ms: 0, kind: 'payment', ok: false, outcome: 'refused' });
  t.same(all[4999], { t: 49.99, ms: 4.999, kind: 'summary', ok: true, outcome: 'ok' });
  t.same(all[1025], { t: 10.25, ms: 1.025, kind: 'admin', ok: true, outcome: 'ok' }, 'across a growth');
  t.ok(
    all.every((s, i) => s.kind === kinds[i % 3] && s.ok === (i % 7 !== 0)),
    'kind and outcome of each',
  );
});

t.test('clear forgets everything', async (t) => {
  const store = new SampleStore();
  store.push(1, 2, 'payment', 202);
  store.clear();
  t.equal(store.length, 0);
  t.same(store.toArray(), []);
  store.push(3, 4, 'admin', 0);
  t.same(store.toArray(), [{ t: 3, ms: 4, kind: 'admin', ok: false, outcome: 'timeout' }]);
});

t.test('each status has its outcome', async (t) => {
  t.same([200, 202, 299, 503, 500, 400, 429, 0].map(outcomeOf), [
    'ok',
    'ok',
    'ok',
    'refused',
    'failed',
    'failed',
    'failed',
    'timeout',
  ]);
  const store = new SampleStore();
  for (const status of [202, 503, 400, 0]) store.push(0, 1, 'summary', status);
  t.same(
    store.toArray().map((s) => [s.kind, s.outcome]),
    [
      ['summary', 'ok'],
      ['summary', 'refused'],
      ['summary', 'failed'],
      ['summary', 'timeout'],
    ],
    'kept with the kind, whichever it is',
  );
});
