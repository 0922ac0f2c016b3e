import t, { type Test } from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TimedClient } from '../../tools/replay/timed-client';

// A real server: /ok answers 202, /fail 500, /slow never (the client's time-out answers for it).
async function server(t: Test, onConnection: () => void = () => undefined): Promise<string> {
  const s = createServer((req, res) => {
    req.resume();
    if (req.url === '/slow') return;
    res.statusCode = req.url === '/ok' ? 202 : 500;
    res.end('{"x":1}');
  });
  s.on('connection', onConnection);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    s.closeAllConnections();
    s.close();
  });
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

t.test('every request timed; 2xx payments counted for the live p99 and rate', async (t) => {
  const url = await server(t);
  const start = Date.now();
  const client = new TimedClient(() => start, 4);
  t.teardown(() => client.close());
  const ok = await client.send('payment', `${url}/ok`, 'POST', 1000, '{}');
  t.same([ok.status, ok.body], [202, '{"x":1}']);
  t.equal((await client.send('payment', `${url}/fail`, 'POST', 1000, '{}')).status, 500);
  t.equal(
    (await client.send('payment', `${url}/slow`, 'POST', 50, '{}')).status,
    0,
    'a time-out is status 0, as in k6',
  );
  t.equal((await client.send('summary', `${url}/ok`, 'GET', 1000)).status, 202);
  t.same(
    client.samples.map((s) => [s.kind, s.ok]),
    [
      ['payment', true],
      ['payment', false],
      ['payment', false],
      ['summary', true],
    ],
  );
  t.ok(client.samples[2].ms >= 45, 'the time-out is timed too');
  t.equal(client.okLatencies.count, 2, 'both 2xx answers, whatever their kind, in the live p99');
  t.same(client.okPaymentsBySecond, [1], 'one 2xx payment, sent in second 0');

  client.clearSamples();
  t.same(
    [client.samples.length, client.okLatencies.count, client.okPaymentsBySecond.length],
    [0, 0, 0],
    'setup requests forgotten',
  );
});

t.test('payments counted by the second they were sent in', async (t) => {
  const url = await server(t);
  let now = 0;
  const client = new TimedClient(() => now, 4);
  t.teardown(() => client.close());
  now = Date.now() - 2500; // the run started 2.5 s ago
  await client.send('payment', `${url}/ok`, 'POST', 1000, '{}');
  await client.send('payment', `${url}/ok`, 'POST', 1000, '{}');
  now -= 1000;
  await client.send('payment', `${url}/ok`, 'POST', 1000, '{}');
  t.equal(client.okPaymentsBySecond[2], 2);
  t.equal(client.okPaymentsBySecond[3], 1);
});

t.test('each virtual user has its own connection, opened on first use and kept', async (t) => {
  let opened = 0;
  const url = await server(t, () => opened++);
  const start = Date.now();
  const client = new TimedClient(() => start, 4);
  t.teardown(() => client.close());
  const alice = client.user();
  const bob = client.user();
  t.equal(opened, 0, 'nothing opened before the first request');
  for (let i = 0; i < 3; i++) t.equal((await alice('payment', `${url}/ok`, 'POST', 1000, '{}')).status, 202);
  t.equal(opened, 1, "alice's three payments on one connection");
  t.equal((await bob('payment', `${url}/ok`, 'POST', 1000, '{}')).status, 202);
  t.equal(opened, 2, 'bob has his own');
  t.equal(client.samples.length, 4, "the users' answers timed with the rest");
  t.equal(client.okPaymentsBySecond[0], 4);
});
