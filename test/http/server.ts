import t from 'tap';
import { connect } from 'node:net';
import type { HttpServices } from '../../src/http/http-api';
import { startHttpServer } from '../../src/http/server';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PaymentRequest, PaymentsSummary } from '../../src/domain/payment';

const ID = '4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3';

async function server(
  t: { teardown(fn: () => unknown): void },
  over: Partial<HttpServices> = {},
  adminToken = '',
  summaryOpenWindowMs = 3_600_000,
) {
  const accepted: PaymentRequest[] = [];
  let purged = 0;
  const rejected: string[] = [];
  let accepting = true;
  const services: HttpServices = {
    acceptPayment: (p) => void accepted.push(p),
    summary: async (w) => ({
      default: { totalRequests: w.from ? 1 : 2, totalAmount: 20.05 },
      fallback: { totalRequests: 0, totalAmount: 0 },
    }),
    purge: async () => void purged++,
    health: () => ({ status: accepting ? 'ok' : 'shutting-down' }),
    metrics: async () => ({ contentType: 'text/plain; version=0.0.4', body: 'm 1\n' }),
    inspect: async () => ({ supervisor: { waiting: 0 } }),
    inspectPage: () => '<!doctype html><title>Actors</title>',
    cluster: async () => ({ answeredBy: 'app7', instances: [] }),
    clusterPage: () => '<!doctype html><title>Cluster</title>',
    accepting: () => accepting,
    onPaymentRejected: (code) => void rejected.push(code),
    ...over,
  };
  const running = await startHttpServer(services, {
    port: 0,
    socketPath: '',
    maxBodyBytes: 200,
    instanceId: 'app7',
    adminToken,
    summaryOpenWindowMs,
  });
  t.teardown(() => running.close());
  const url = `http://127.0.0.1:${running.port}`;
  return { url, accepted, rejected, running, stop: () => (accepting = false), purged: () => purged };
}

t.test('POST /payments: 202 for a valid body, JSON errors otherwise', async (t) => {
  const s = await server(t);
  const ok = await fetch(`${s.url}/payments`, {
    method: 'POST',
    body: JSON.stringify({ correlationId: ID, amount: 20.05 }),
  });
  t.equal(ok.status, 202);
  t.equal(await ok.text(), '');
  t.same(s.accepted, [{ correlationId: ID, amountCents: 2005 }]);
  const bad = await fetch(`${s.url}/payments`, { method: 'POST', body: '{"correlationId": 1, "amount": 1}' });
  t.equal(bad.status, 400);
  t.equal(bad.headers.get('content-type'), 'application/json');
  t.match(await bad.json(), { error: 'INVALID_CORRELATION_ID', message: String });
  const big = await fetch(`${s.url}/payments`, {
    method: 'POST',
    body: JSON.stringify({ correlationId: ID, amount: 1, pad: 'x'.repeat(300) }),
  });
  t.equal(big.status, 413);
  t.same(s.rejected, ['INVALID_CORRELATION_ID', 'BODY_TOO_LARGE']);
  t.equal(s.running.inProgress(), 0, 'nothing left in progress');
  s.stop();
  t.equal(
    (await fetch(`${s.url}/payments`, { method: 'POST', body: JSON.stringify({ correlationId: ID, amount: 1 }) }))
      .status,
    503,
    'shutting down: 503',
  );
  t.equal((await fetch(`${s.url}/health`)).status, 503);
});

/** Posts a body in two writes, 30 ms apart, cut at byte `cut`; resolves with the raw answer once its body has come. */
function postInTwoPieces(
  port: number,
  body: Buffer,
  cut: number,
  answerEnds: (text: string) => boolean,
): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`POST /payments HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(body.subarray(0, cut));
      setTimeout(() => socket.write(body.subarray(cut)), 30);
    });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
      if (answerEnds(text)) {
        socket.destroy();
        resolve(text);
      }
    });
  });
}

t.test('a body that arrives in several pieces is read whole, multi-byte characters included', async (t) => {
  const s = await server(t);
  // The unknown field's name has a 2-byte character cut between the two writes.
  const body = Buffer.from(JSON.stringify({ correlationId: ID, amount: 1, ação: 1 }));
  const answer = await postInTwoPieces(s.running.port, body, body.indexOf(Buffer.from('ç')) + 1, (text) =>
    text.endsWith('}'),
  );
  t.match(answer, /^HTTP\/1.1 400/);
  t.same(
    (JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { detail: string }).detail,
    'ação',
    'the whole body was read and decoded: its last field is named in the error',
  );
  const good = Buffer.from(JSON.stringify({ correlationId: ID, amount: 12.34 }));
  t.match(await postInTwoPieces(s.running.port, good, 10, (text) => text.startsWith('HTTP/1.1 202')), /^HTTP\/1.1 202/);
  t.same(s.accepted, [{ correlationId: ID, amountCents: 1234 }]);
});

t.test('a client that goes away mid-body leaves nothing in progress', async (t) => {
  const s = await server(t);
  await new Promise<void>((resolve) => {
    const socket = connect(s.running.port, '127.0.0.1', () => {
      socket.write('POST /payments HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"corr');
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 50);
    });
  });
  await new Promise((r) => setTimeout(r, 50));
  t.equal(s.running.inProgress(), 0);
  t.same(s.accepted, []);
});

t.test('summary, purge, health, metrics, actors', async (t) => {
  const s = await server(t);
  t.same(await (await fetch(`${s.url}/payments-summary`)).json(), {
    default: { totalRequests: 2, totalAmount: 20.05 },
    fallback: { totalRequests: 0, totalAmount: 0 },
  });
  t.equal(
    (
      (await (
        await fetch(`${s.url}/payments-summary?from=2025-07-10T12:00:00.000Z&to=2025-07-10T13:00:00.000Z`)
      ).json()) as PaymentsSummary
    ).default.totalRequests,
    1,
    'the window reaches the service',
  );
  t.equal((await fetch(`${s.url}/payments-summary?from=nope`)).status, 400);
  t.same(await (await fetch(`${s.url}/purge-payments`, { method: 'POST' })).json(), {
    message: 'All payments purged.',
  });
  t.same(await (await fetch(`${s.url}/health`)).json(), { status: 'ok' });
  const m = await fetch(`${s.url}/metrics`);
  t.equal(m.headers.get('content-type'), 'text/plain; version=0.0.4');
  t.same(await (await fetch(`${s.url}/actors`)).json(), { supervisor: { waiting: 0 } });
  const page = await fetch(`${s.url}/actors.html`);
  t.match(page.headers.get('content-type'), /text\/html/);
  t.same(await (await fetch(`${s.url}/cluster`)).json(), { answeredBy: 'app7', instances: [] });
  const clusterPage = await fetch(`${s.url}/cluster.html`);
  t.match(clusterPage.headers.get('content-type'), /text\/html/);
});

t.test('unknown routes 404, known routes with another method 405 with Allow', async (t) => {
  const s = await server(t);
  const nf = await fetch(`${s.url}/nowhere`);
  t.equal(nf.status, 404);
  t.match(await nf.json(), { error: 'NOT_FOUND' });
  const na = await fetch(`${s.url}/payments`);
  t.equal(na.status, 405);
  t.equal(na.headers.get('allow'), 'POST');
  t.equal((await fetch(`${s.url}/payments-summary`, { method: 'DELETE' })).status, 405);
});

t.test('a failing store answers 503, a failing metrics or actors call 500', async (t) => {
  const s = await server(t, {
    summary: () => Promise.reject(new Error('pg down')),
    purge: () => Promise.reject(new Error('pg down')),
    metrics: () => Promise.reject(new Error('boom')),
    inspect: () => Promise.reject(new Error('boom')),
  });
  t.match(await (await fetch(`${s.url}/payments-summary`)).json(), { error: 'STORE_UNAVAILABLE' });
  t.equal((await fetch(`${s.url}/purge-payments`, { method: 'POST' })).status, 503);
  t.equal((await fetch(`${s.url}/metrics`)).status, 500);
  t.equal((await fetch(`${s.url}/actors`)).status, 500);
});

t.test('listens on a Unix socket when asked, writable by other users (Nginx)', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'uws-')), 'app.sock');
  const running = await startHttpServer({} as HttpServices, {
    port: 0,
    socketPath: path,
    maxBodyBytes: 100,
    instanceId: 'app7',
    adminToken: '',
    summaryOpenWindowMs: 3_600_000,
  });
  t.teardown(() => running.close());
  t.equal(running.port, 0);
  t.equal(statSync(path).mode & 0o777, 0o666);
});

const TOKEN = 's3cret-token';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

t.test('ADMIN_TOKEN: purge, the actor tree and every /instances/<id> route need it; clients do not', async (t) => {
  const s = await server(t, {}, TOKEN);
  const payment = () => ({ method: 'POST', body: JSON.stringify({ correlationId: crypto.randomUUID(), amount: 1 }) });
  const adminRoutes: [string, string][] = [
    ['POST', '/purge-payments'],
    ['GET', '/actors'],
    ['GET', '/cluster'],
    ['GET', '/instances/app7/metrics'],
    ['GET', '/instances/app7/health'],
    ['GET', '/instances/app7/actors'],
    ['GET', '/instances/app7/payments-summary'],
    ['POST', '/instances/app7/purge-payments'],
    ['GET', '/instances/app7/no-such-route'],
  ];
  for (const [method, path] of adminRoutes) {
    for (const [why, headers] of [
      ['no token', {}],
      ['a wrong token', bearer('s3cret-tokem')],
      ['a prefix of it', bearer('s3cret')],
      ['another scheme', { authorization: `Basic ${TOKEN}` }],
    ] as [string, Record<string, string>][]) {
      const res = await fetch(s.url + path, { method, headers });
      t.equal(res.status, 401, `${method} ${path} with ${why}: 401`);
      t.equal(res.headers.get('www-authenticate'), 'Bearer');
      t.match(await res.json(), { error: 'UNAUTHORIZED', message: /Bearer/ });
    }
  }
  t.equal(s.purged(), 0, 'nothing was purged without the token');
  t.equal(s.accepted.length, 0);

  const purge = await fetch(`${s.url}/purge-payments`, { method: 'POST', headers: bearer(TOKEN) });
  t.equal(purge.status, 200, 'purge with the token');
  t.equal(s.purged(), 1);
  t.equal((await fetch(`${s.url}/actors`, { headers: bearer(TOKEN) })).status, 200, 'actors with the token');
  t.equal((await fetch(`${s.url}/instances/app7/metrics`, { headers: bearer(TOKEN) })).status, 200);
  t.equal(
    (await fetch(`${s.url}/instances/app7/payments`, { ...payment(), headers: bearer(TOKEN) })).status,
    202,
    'a payment through the instance route, with the token',
  );
  const notFound = await fetch(`${s.url}/instances/app7/nope`, { headers: bearer(TOKEN) });
  t.equal(notFound.status, 404, 'an unknown route under the instance, with the token: 404');
  const wrongMethod = await fetch(`${s.url}/instances/app7/actors`, { method: 'POST', headers: bearer(TOKEN) });
  t.equal(wrongMethod.status, 405);
  t.equal(wrongMethod.headers.get('allow'), 'GET');

  t.equal((await fetch(`${s.url}/payments`, payment())).status, 202, 'POST /payments stays open');
  const window = 'from=2025-07-10T12:00:00Z&to=2025-07-10T12:01:00Z';
  t.equal((await fetch(`${s.url}/payments-summary?${window}`)).status, 200, 'the summary stays open');
  t.equal((await fetch(`${s.url}/health`)).status, 200, '/health stays open');
  t.equal((await fetch(`${s.url}/metrics`)).status, 200, '/metrics stays open');
  const page = await fetch(`${s.url}/instances/app7/actors.html`);
  t.equal(page.status, 200, 'the actor page (no data of its own) loads; its data needs the token');
  t.equal(s.accepted.length, 2);
});

t.test('without ADMIN_TOKEN every route is open, under /instances/<id> too', async (t) => {
  const s = await server(t);
  t.equal((await fetch(`${s.url}/purge-payments`, { method: 'POST' })).status, 200);
  t.equal((await fetch(`${s.url}/actors`)).status, 200);
  t.equal((await fetch(`${s.url}/instances/app7/health`)).status, 200);
  t.equal((await fetch(`${s.url}/instances/app7/metrics`)).status, 200);
  t.equal((await fetch(`${s.url}/instances/app8/metrics`)).status, 404, "another instance's name: 404");
  t.equal(s.purged(), 1);
});

t.test('GET /ready: 200 while payments are taken; 503 with the reason while they would be refused', async (t) => {
  let refusal: string | null = null;
  const s = await server(t, { refusal: () => refusal });
  const ready = async () => {
    const res = await fetch(`${s.url}/ready`);
    return [res.status, await res.json()] as const;
  };
  t.same(await ready(), [200, { status: 'ready' }]);
  refusal = 'full';
  t.same(await ready(), [503, { status: 'not-ready', reason: 'full' }], 'Redis full: not ready');
  t.equal((await fetch(`${s.url}/health`)).status, 200, 'alive all the same');
  refusal = null;
  s.stop();
  t.same(await ready(), [503, { status: 'not-ready', reason: 'shutting-down' }]);
});

t.test('with ADMIN_TOKEN, a summary longer than SUMMARY_OPEN_WINDOW_MS needs the token: 400 without it', async (t) => {
  let asked = 0;
  const summary: HttpServices['summary'] = async () => {
    asked++;
    return { default: { totalRequests: 0, totalAmount: 0 }, fallback: { totalRequests: 0, totalAmount: 0 } };
  };
  const s = await server(t, { summary }, TOKEN, 60_000);
  const status = async (query: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${s.url}/payments-summary${query}`, { headers });
    const body = (await res.json()) as { error?: string; detail?: string };
    return [res.status, body.error ?? 'ok'];
  };
  t.same(await status('?from=2025-07-10T12:00:00Z&to=2025-07-10T12:01:00Z'), [200, 'ok'], 'a minute: open');
  t.same(await status('?from=2025-07-10T12:00:00Z&to=2025-07-10T12:01:00.001Z'), [400, 'SUMMARY_WINDOW_TOO_LONG']);
  t.same(await status(''), [400, 'SUMMARY_WINDOW_TOO_LONG'], 'no from nor to: all time');
  t.same(await status('?from=2025-07-10T12:00:00Z'), [400, 'SUMMARY_WINDOW_TOO_LONG'], 'no end');
  t.same(await status('?to=2025-07-10T12:00:00Z'), [400, 'SUMMARY_WINDOW_TOO_LONG'], 'no start');
  const refused = await fetch(`${s.url}/payments-summary`);
  t.match(await refused.json(), { message: /SUMMARY_OPEN_WINDOW_MS|token/, detail: /60000 ms/ }, 'says the bound');
  t.same(await status('?to=2025-07-10T12:00:00Z', bearer('wrong')), [400, 'SUMMARY_WINDOW_TOO_LONG'], 'a wrong token');
  t.equal(asked, 1, 'no refused summary reached the store');
  t.same(await status('', bearer(TOKEN)), [200, 'ok'], 'all time, with the token');
  t.same(await status('?from=2025-07-10T12:00:00Z', bearer(TOKEN)), [200, 'ok']);

  const open = await server(t, { summary }, '', 60_000);
  t.equal(
    (await fetch(`${open.url}/payments-summary`)).status,
    200,
    'without ADMIN_TOKEN (the contest) all time is open',
  );
});
