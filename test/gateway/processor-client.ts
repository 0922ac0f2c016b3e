import t, { type Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyPaymentStatus, neverReachedProcessor, ProcessorClient } from '../../src/gateway/processor-client';

async function processor(
  t: { teardown(fn: () => unknown): void },
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  const server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const body = {
  correlationId: '4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3',
  amount: 20.05,
  requestedAt: '2025-07-10T12:00:00.000Z',
};

t.test('what each status says about the payment', async (t) => {
  for (const s of [200, 201, 204]) t.equal(classifyPaymentStatus(s), 'recorded', `${s}`);
  t.equal(classifyPaymentStatus(422), 'duplicate', '422: it holds this id already, as some attempt sent it');
  for (const s of [500, 400, 404]) t.equal(classifyPaymentStatus(s), 'rejected', `${s}`);
  for (const s of [408, 429, 502, 503, 504, 302]) t.equal(classifyPaymentStatus(s), 'unknown', `${s}`);
  t.equal(neverReachedProcessor({ code: 'ECONNREFUSED' }), true);
  t.equal(neverReachedProcessor({ code: 'UND_ERR_SOCKET' }), false);
  t.equal(neverReachedProcessor(null), false);
});

t.test('pay: the body sent, and outcomes of answers, hang-ups, time-outs and refused connections', async (t) => {
  const seen: string[] = [];
  let mode = 'ok';
  const url = await processor(t, (req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      seen.push(text);
      if (mode === 'ok') res.end('{"message":"payment processed successfully"}');
      else if (mode === 'dup') {
        res.statusCode = 422;
        res.end('{}');
      } else if (mode === 'fail') {
        res.statusCode = 500;
        res.end();
      } else if (mode === 'garbage') res.end('not json at all');
      else if (mode === 'close') req.socket.destroy();
      // 'hang': never answer
    });
  });
  const client = new ProcessorClient(url, { connections: 4, timeoutMs: 300 });
  t.teardown(() => client.close());
  t.equal((await client.pay(body)).outcome, 'recorded');
  t.same(JSON.parse(seen[0]), body, 'the body as the processor reads it');
  mode = 'dup';
  t.equal((await client.pay(body)).outcome, 'duplicate', '422: recorded before');
  mode = 'fail';
  t.match(await client.pay(body), { outcome: 'rejected', status: 500 });
  mode = 'garbage';
  t.equal((await client.pay(body)).outcome, 'recorded', 'a 200 is a 200, whatever the body');
  mode = 'close';
  t.match(await client.pay(body), { outcome: 'unknown', status: null });
  mode = 'hang';
  const hung = await client.pay(body);
  t.equal(hung.outcome, 'unknown', 'a time-out: maybe recorded');
  t.ok(hung.latencyMs >= 290, `after the time-out (${hung.latencyMs.toFixed(0)} ms)`);

  t.ok(client.openConnections >= 1, 'it keeps its connections open');
  const refused = new ProcessorClient('http://127.0.0.1:1', { connections: 1, timeoutMs: 300 });
  t.teardown(() => refused.close());
  t.equal((await refused.pay(body)).outcome, 'rejected', 'connection refused: it never reached a processor');
});

/** A processor that takes each payment and never answers; `received()` counts them. */
async function hangingProcessor(t: Test): Promise<{ url: string; received: () => number }> {
  let received = 0;
  const url = await processor(t, (req) => {
    received++;
    req.resume(); // never answered
  });
  return { url, received: () => received };
}

t.test('pay: a call given up while it waited for a connection never goes out', async (t) => {
  const { url, received } = await hangingProcessor(t);
  // One connection: the second call waits behind the first, which hangs.
  const client = new ProcessorClient(url, { connections: 1, timeoutMs: 200 });
  t.teardown(() => client.close());
  const [first, second] = await Promise.all([client.pay(body), client.pay({ ...body, correlationId: 'second' })]);
  t.equal(first.outcome, 'unknown');
  t.equal(second.outcome, 'unknown', 'its time ran out too: maybe recorded, as far as the caller knows');
  await sleep(300);
  t.equal(received(), 1, 'only the first reached the processor');
});

t.test('pay: a call whose connection comes with less time left than the time-out check never goes out', async (t) => {
  const { url, received } = await hangingProcessor(t);
  // One connection, held by the first call until its time-out drops it; the second, posted 20 ms later, gets a
  // new connection with under 20 ms (the check interval of the time-outs) left: it would time out unanswered.
  const client = new ProcessorClient(url, { connections: 1, timeoutMs: 200 });
  t.teardown(() => client.close());
  const first = client.pay(body);
  await sleep(20);
  const second = await client.pay({ ...body, correlationId: 'second' });
  t.equal((await first).outcome, 'unknown');
  t.equal(second.outcome, 'unknown', 'its time ran out: as far as the caller knows');
  await sleep(300);
  t.equal(received(), 1, 'only the first reached the processor');
});

t.test('lookup and health', async (t) => {
  let health: [number, string] = [200, '{"failing":false,"minResponseTime":42}'];
  const url = await processor(t, (req, res) => {
    if (req.url === `/payments/${body.correlationId}`) return res.end(JSON.stringify(body));
    if (req.url === '/payments/4a7901b8-0000-4d9d-aa19-4dc1c7cf60b3') return ((res.statusCode = 404), res.end());
    if (req.url === '/payments/service-health') return ((res.statusCode = health[0]), res.end(health[1]));
    res.statusCode = 503;
    res.end('busy');
  });
  const client = new ProcessorClient(url, { connections: 2, timeoutMs: 500 });
  t.teardown(() => client.close());
  t.same(await client.lookup(body.correlationId), { found: true, amount: 20.05, requestedAt: body.requestedAt });
  t.same(await client.lookup('4a7901b8-0000-4d9d-aa19-4dc1c7cf60b3'), { found: false });
  t.same(await client.lookup('something-else'), { found: 'unknown' }, 'any other answer: unknown');
  t.same(await client.health(), { kind: 'health', health: { failing: false, minResponseTime: 42 } });
  health = [503, '{"failing":true,"minResponseTime":0}'];
  t.same(await client.health(), { kind: 'health', health: { failing: true, minResponseTime: 0 } });
  health = [503, 'down'];
  t.same(
    await client.health(),
    { kind: 'health', health: { failing: true, minResponseTime: 0 } },
    '503 with an unusable body is still failing',
  );
  health = [429, 'slow down'];
  t.same(await client.health(), { kind: 'rate-limited' });
  health = [200, 'garbage'];
  t.same(await client.health(), { kind: 'unreachable' });
  const gone = new ProcessorClient('http://127.0.0.1:1', { connections: 1, timeoutMs: 300 });
  t.teardown(() => gone.close());
  t.same(await gone.health(), { kind: 'unreachable' });
  t.same(await gone.lookup(body.correlationId), { found: 'unknown' });
});
