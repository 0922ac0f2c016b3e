// What the simulator answers, route by route, as the official processor does (server.ts has the
// list): payments, the rate-limited health check, look-ups by id, and the admin API.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FixedWindowLimiter } from './health-rate-limiter';
import type { SimulatorOptions } from './options';
import { MAX_LATE_RECORDS, type PaymentStore } from './payment-store';
import { UUID } from '../../src/domain/payment';

/** One simulator's state: what its routes read and change. */
export interface Simulator {
  options: SimulatorOptions;
  store: PaymentStore;
  limiter: FixedWindowLimiter;
  /** What the admin API sets. */
  config: { delay: number; failure: boolean; token: string };
  stats: { payments: number; healthChecks: number; healthRejected: number };
  /** Who made each POST /payments call per correlationId (remote addresses) since start or the last purge. */
  callersById: Map<string, string[]>;
  /** Every call about a correlationId, in order: `pay <address>` or `lookup <address>` (same lifetime). */
  touchesById: Map<string, string[]>;
}

const MAX_BODY = 64 * 1024;

export function reply(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
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

export async function pay(sim: Simulator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  sim.stats.payments++;
  const body = parseJson(await readBody(req));
  const correlationId = body?.correlationId;
  const amount = body?.amount;
  const requestedAt = typeof body?.requestedAt === 'string' ? parseTime(body.requestedAt) : 'invalid';
  if (typeof correlationId === 'string') {
    const id = correlationId.toLowerCase();
    const callers = sim.callersById.get(id) ?? [];
    callers.push(req.socket.remoteAddress ?? '');
    sim.callersById.set(id, callers);
    touch(sim, id, `pay ${req.socket.remoteAddress ?? ''}`);
  }
  const valid =
    typeof correlationId === 'string' &&
    UUID.test(correlationId) &&
    typeof amount === 'number' &&
    Number.isFinite(amount) &&
    typeof requestedAt === 'number';
  if (!valid) return reply(res, 400, { message: 'invalid payment' });
  // Like the official endpoint filters: the delay first, then the failure, then the insert.
  const delay = sim.config.delay;
  if (delay > 0) await sleep(delay);
  if (sim.config.failure) return reply(res, 500, { message: 'simulated failure' });
  const outcome = await sim.store.insert({
    correlationId: correlationId.toLowerCase(),
    amountCents: Math.round(amount * 100),
    requestedAtMs: requestedAt,
    storedAtMs: Date.now(),
  });
  if (outcome === 'duplicate')
    return reply(res, 422, {
      message: `Payment could not be processed. CorrelationId already exists: ${correlationId}`,
    });
  reply(res, 200, { message: 'payment processed successfully' });
}

export async function health(sim: Simulator, res: ServerResponse): Promise<void> {
  sim.stats.healthChecks++;
  if (!(await sim.limiter.acquire())) {
    sim.stats.healthRejected++;
    return reply(res, 429, 'Too many requests. Try again later.', {
      'retry-after': String(Math.ceil(sim.options.healthWindowMs / 1000)),
    });
  }
  reply(res, sim.config.failure ? 503 : 200, { failing: sim.config.failure, minResponseTime: sim.config.delay });
}

function touch(sim: Simulator, id: string, what: string): void {
  const touches = sim.touchesById.get(id) ?? [];
  touches.push(what);
  sim.touchesById.set(id, touches);
}

/** GET /payments/{id}: the payment as recorded, or 404. */
export async function lookUp(sim: Simulator, id: string, res: ServerResponse, caller = ''): Promise<void> {
  if (UUID.test(id)) touch(sim, id.toLowerCase(), `lookup ${caller}`);
  const p = UUID.test(id) ? await sim.store.find(id.toLowerCase()) : null;
  if (!p) return reply(res, 404);
  reply(res, 200, {
    correlationId: p.correlationId,
    amount: p.amountCents / 100,
    requestedAt: new Date(p.requestedAtMs).toISOString(),
  });
}

async function adminSummary(sim: Simulator, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const from = parseTime(query.get('from'));
  const to = parseTime(query.get('to'));
  if (from === 'invalid' || to === 'invalid') return reply(res, 400, { message: 'invalid from/to' });
  const s = await sim.store.summary(from, to);
  const totalAmount = s.cents / 100;
  reply(res, 200, {
    totalRequests: s.count,
    totalAmount,
    totalFee: Number((totalAmount * sim.options.fee).toFixed(6)),
    feePerTransaction: sim.options.fee,
  });
}

/**
 * GET /admin/late-payments?afterMs=2000 (ours, not the official processor's): every payment stored more than
 * `afterMs` after its requestedAt, as [requestedAtMs, storedAtMs]. A consistency check whose window ends 2 s
 * back can count such a payment on one side only while it is not stored yet (the replay's exposure).
 */
async function latePayments(sim: Simulator, res: ServerResponse, query: URLSearchParams): Promise<void> {
  const afterMs = Number(query.get('afterMs') ?? 2000);
  if (!Number.isFinite(afterMs) || afterMs < 0) return reply(res, 400, { message: 'invalid afterMs' });
  const late = await sim.store.late(afterMs, MAX_LATE_RECORDS + 1);
  const truncated = late.length > MAX_LATE_RECORDS;
  reply(res, 200, { afterMs, payments: truncated ? late.slice(0, MAX_LATE_RECORDS) : late, truncated });
}

/** The PUT /admin/configurations/* routes; false when the request is none of them. */
function configure(sim: Simulator, route: string, body: Record<string, unknown> | null, res: ServerResponse): boolean {
  const { config } = sim;
  if (route === 'PUT /admin/configurations/token' && typeof body?.token === 'string') {
    config.token = body.token;
    reply(res, 204);
  } else if (route === 'PUT /admin/configurations/delay' && Number.isInteger(body?.delay) && Number(body?.delay) >= 0) {
    const was = config.delay;
    config.delay = Number(body?.delay);
    reply(res, 200, { config: 'delay', was, is: config.delay });
  } else if (route === 'PUT /admin/configurations/failure' && typeof body?.failure === 'boolean') {
    const was = config.failure;
    config.failure = body.failure;
    reply(res, 200, { config: 'failure', was, is: config.failure });
  } else return false;
  return true;
}

export async function admin(sim: Simulator, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (req.headers['x-rinha-token'] !== sim.config.token) return reply(res, 401);
  const route = `${req.method} ${url.pathname}`;
  if (route === 'GET /admin/payments-summary') return adminSummary(sim, res, url.searchParams);
  if (route === 'GET /admin/late-payments') return latePayments(sim, res, url.searchParams);
  if (route === 'POST /admin/purge-payments') {
    await sim.store.purge();
    sim.callersById.clear();
    sim.touchesById.clear();
    return reply(res, 200, { message: 'All payments purged.' });
  }
  const body = parseJson(await readBody(req));
  if (!configure(sim, route, body, res))
    reply(res, body === null && req.method === 'PUT' ? 400 : 404, { message: 'unknown admin request' });
}
