import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkConsistency } from '../../tools/replay/consistency-checker';
import { ProcessorsAdmin } from '../../tools/replay/processors-admin';
import { TimedClient } from '../../tools/replay/timed-client';

async function serve(
  t: { teardown(fn: () => unknown): void },
  answer: (url: string) => [number, unknown],
): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const [status, body] = answer(req.url ?? '');
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

t.test('counts every difference in totalRequests for [now - 15 s, now - 2 s]', async (t) => {
  const backend = await serve(t, () => [
    200,
    { default: { totalRequests: 10, totalAmount: 1 }, fallback: { totalRequests: 3, totalAmount: 1 } },
  ]);
  const dflt = await serve(t, () => [200, { totalRequests: 12, totalAmount: 1, totalFee: 0, feePerTransaction: 0.05 }]);
  const fb = await serve(t, () => [200, { totalRequests: 3, totalAmount: 1, totalFee: 0, feePerTransaction: 0.15 }]);
  const client = new TimedClient(() => Date.now(), 4);
  t.teardown(() => client.close());
  const admin = new ProcessorsAdmin(client, { default: dflt.url, fallback: fb.url }, '123');
  const now = new Date('2025-07-10T12:00:20.000Z');
  const check = await checkConsistency(client, admin, backend.url, 20, now);
  t.equal(check.inconsistencies, 2);
  t.equal(check.from, '2025-07-10T12:00:05.000Z');
  t.equal(check.to, '2025-07-10T12:00:18.000Z');
  t.match(
    backend.seen[0],
    /^\/payments-summary\?from=2025-07-10T12:00:05.000Z&to=2025-07-10T12:00:18.000Z$/,
    'raw ISO timestamps in the query, as k6 sends them',
  );
  t.equal(client.samples.length, 3, 'all three requests are timed');
});

t.test('a summary that does not answer counts as zeros, as the official test does', async (t) => {
  const backend = await serve(t, () => [500, {}]);
  const dflt = await serve(t, () => [200, { totalRequests: 4, totalAmount: 1, totalFee: 0, feePerTransaction: 0.05 }]);
  const fb = await serve(t, () => [401, {}]);
  const client = new TimedClient(() => Date.now(), 4);
  t.teardown(() => client.close());
  const check = await checkConsistency(
    client,
    new ProcessorsAdmin(client, { default: dflt.url, fallback: fb.url }, '123'),
    backend.url,
    1,
  );
  t.same(check.ours, { default: 0, fallback: 0 });
  t.same(check.theirs, { default: 4, fallback: 0 });
  t.equal(check.inconsistencies, 4);
  t.same(client.samples.map((s) => s.ok).sort(), [false, false, true]);
});
