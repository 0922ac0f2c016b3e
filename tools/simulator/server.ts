// A Payment Processor simulator that behaves like the official one in every way our
// system can observe (see docs/simulator.md for the few differences):
//   POST /payments: wait the configured delay, THEN answer 500 if failing (nothing
//     recorded), THEN record; a correlationId already recorded answers 422.
//     A client that hangs up during the delay does not stop the payment being recorded.
//   GET /payments/service-health: fixed window, 1 call per window, 2 may queue, 429 beyond;
//     503 while failing.
//   GET /payments/{id}; admin endpoints behind X-Rinha-Token.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FixedWindowLimiter } from './health-rate-limiter';
import { DEFAULT_SIMULATOR_OPTIONS, type SimulatorOptions } from './options';
import { MemoryPaymentStore, type PaymentStore } from './payment-store';
import { PostgresPaymentStore } from './postgres-store';
import { setTimeout as sleep } from 'node:timers/promises';
import { UUID } from '../../src/payment';

export interface RunningSimulator {
  name: string;
  /** e.g. http://127.0.0.1:8001 */
  url: string;
  port: number;
  /** Payment calls received (for benchmarks and tests). */
  readonly stats: { payments: number; healthChecks: number; healthRejected: number };
  /** POST /payments calls received for one correlationId since start or the last purge, whatever their answer. */
  callsFor(correlationId: string): number;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

function reply(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' } : {}),
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

function parseJson(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function parseTime(raw: string | null): number | null | 'invalid' {
  if (raw === null || raw === '') return null;
  const ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(raw) ? raw : `${raw}Z`);
  return Number.isNaN(ms) ? 'invalid' : ms;
}

/**
 * Starts a simulator. Options default to the official default processor's
 * (port 8001, fee 0.05, token 123, 5 s health window, queue of 2, memory store).
 * Drive it like the real one, through its admin API.
 */
export async function startProcessorSimulator(overrides: Partial<SimulatorOptions> = {}): Promise<RunningSimulator> {
  const options: SimulatorOptions = { ...DEFAULT_SIMULATOR_OPTIONS, ...overrides };
  const store: PaymentStore = options.databaseUrl
    ? await PostgresPaymentStore.open(options.databaseUrl, options.schema)
    : new MemoryPaymentStore();
  const limiter = new FixedWindowLimiter(options.healthWindowMs, options.healthQueueLimit);
  const config = { delay: 0, failure: false, token: options.token };
  const stats = { payments: 0, healthChecks: 0, healthRejected: 0 };
  const callsById = new Map<string, number>();

  const pay = async (req: IncomingMessage, res: ServerResponse) => {
    stats.payments++;
    const body = parseJson(await readBody(req));
    const correlationId = body?.correlationId;
    const amount = body?.amount;
    const requestedAt = typeof body?.requestedAt === 'string' ? parseTime(body.requestedAt) : 'invalid';
    if (typeof correlationId === 'string') {
      const id = correlationId.toLowerCase();
      callsById.set(id, (callsById.get(id) ?? 0) + 1);
    }
    if (
      typeof correlationId !== 'string' ||
      !UUID.test(correlationId) ||
      typeof amount !== 'number' ||
      !Number.isFinite(amount) ||
      typeof requestedAt !== 'number'
    ) {
      return reply(res, 400, { message: 'invalid payment' });
    }
    // Like the official endpoint filters: the delay first, then the failure, then the insert.
    const delay = config.delay;
    if (delay > 0) await sleep(delay);
    if (config.failure) return reply(res, 500, { message: 'simulated failure' });
    const outcome = await store.insert({
      correlationId: correlationId.toLowerCase(),
      amountCents: Math.round(amount * 100),
      requestedAtMs: requestedAt,
    });
    if (outcome === 'duplicate')
      return reply(res, 422, {
        message: `Payment could not be processed. CorrelationId already exists: ${correlationId}`,
      });
    reply(res, 200, { message: 'payment processed successfully' });
  };

  const health = async (res: ServerResponse) => {
    stats.healthChecks++;
    if (!(await limiter.acquire())) {
      stats.healthRejected++;
      return reply(res, 429, 'Too many requests. Try again later.', {
        'retry-after': String(Math.ceil(options.healthWindowMs / 1000)),
      });
    }
    reply(res, config.failure ? 503 : 200, { failing: config.failure, minResponseTime: config.delay });
  };

  const admin = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => {
    if (req.headers['x-rinha-token'] !== config.token) return reply(res, 401);
    const route = `${req.method} ${path}`;
    if (route === 'GET /admin/payments-summary') {
      const from = parseTime(query.get('from'));
      const to = parseTime(query.get('to'));
      if (from === 'invalid' || to === 'invalid') return reply(res, 400, { message: 'invalid from/to' });
      const s = await store.summary(from, to);
      const totalAmount = s.cents / 100;
      return reply(res, 200, {
        totalRequests: s.count,
        totalAmount,
        totalFee: Number((totalAmount * options.fee).toFixed(6)),
        feePerTransaction: options.fee,
      });
    }
    if (route === 'POST /admin/purge-payments') {
      await store.purge();
      callsById.clear();
      return reply(res, 200, { message: 'All payments purged.' });
    }
    const body = parseJson(await readBody(req));
    if (route === 'PUT /admin/configurations/token' && typeof body?.token === 'string') {
      config.token = body.token;
      return reply(res, 204);
    }
    if (
      route === 'PUT /admin/configurations/delay' &&
      typeof body?.delay === 'number' &&
      Number.isInteger(body.delay) &&
      body.delay >= 0
    ) {
      const was = config.delay;
      config.delay = body.delay;
      return reply(res, 200, { config: 'delay', was, is: config.delay });
    }
    if (route === 'PUT /admin/configurations/failure' && typeof body?.failure === 'boolean') {
      const was = config.failure;
      config.failure = body.failure;
      return reply(res, 200, { config: 'failure', was, is: config.failure });
    }
    reply(res, body === null && req.method === 'PUT' ? 400 : 404, { message: 'unknown admin request' });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname;
    let handled: Promise<void> | void = undefined;
    if (req.method === 'POST' && path === '/payments') handled = pay(req, res);
    else if (req.method === 'GET' && path === '/payments/service-health') handled = health(res);
    else if (req.method === 'GET' && path.startsWith('/payments/')) {
      const id = decodeURIComponent(path.slice('/payments/'.length));
      handled = (UUID.test(id) ? store.find(id.toLowerCase()) : Promise.resolve(null)).then((p) =>
        p
          ? reply(res, 200, {
              correlationId: p.correlationId,
              amount: p.amountCents / 100,
              requestedAt: new Date(p.requestedAtMs).toISOString(),
            })
          : reply(res, 404),
      );
    } else if (path.startsWith('/admin/')) handled = admin(req, res, path, url.searchParams);
    else reply(res, 404);
    Promise.resolve(handled).catch((err) => reply(res, 500, { message: String(err) }));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    name: options.name,
    url: `http://${options.host}:${port}`,
    port,
    stats,
    callsFor: (correlationId) => callsById.get(correlationId.toLowerCase()) ?? 0,
    close: async () => {
      limiter.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await store.close();
    },
  };
}
