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
import { MemoryPaymentStore } from './payment-store';
import { PostgresPaymentStore } from './postgres-store';
import { admin, health, lookUp, pay, reply, type Simulator } from './routes';

export interface RunningSimulator {
  name: string;
  /** e.g. http://127.0.0.1:8001 */
  url: string;
  port: number;
  /** Payment calls received (for benchmarks and tests). */
  readonly stats: { payments: number; healthChecks: number; healthRejected: number };
  /** POST /payments calls received for one correlationId since start or the last purge, whatever their answer. */
  callsFor(correlationId: string): number;
  /** The remote address of each of those calls, in order: which host sent it. */
  callersOf(correlationId: string): string[];
  /** Every correlationId called since start or the last purge. */
  calledIds(): string[];
  /** Every call about one correlationId, in order: `pay <address>` (POST /payments) or `lookup <address>`. */
  touchesOf(correlationId: string): string[];
  close(): Promise<void>;
}

/**
 * Starts a simulator. Options default to the official default processor's
 * (port 8001, fee 0.05, token 123, 5 s health window, queue of 2, memory store).
 * Drive it like the real one, through its admin API.
 */
export async function startProcessorSimulator(overrides: Partial<SimulatorOptions> = {}): Promise<RunningSimulator> {
  const options: SimulatorOptions = { ...DEFAULT_SIMULATOR_OPTIONS, ...overrides };
  const sim: Simulator = {
    options,
    store: options.databaseUrl
      ? await PostgresPaymentStore.open(options.databaseUrl, options.schema)
      : new MemoryPaymentStore(),
    limiter: new FixedWindowLimiter(options.healthWindowMs, options.healthQueueLimit),
    config: { delay: 0, failure: false, token: options.token },
    stats: { payments: 0, healthChecks: 0, healthRejected: 0 },
    callersById: new Map(),
    touchesById: new Map(),
  };
  const server = createServer((req, res) => {
    Promise.resolve(route(sim, req, res)).catch((err) => reply(res, 500, { message: String(err) }));
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
    stats: sim.stats,
    callsFor: (correlationId) => sim.callersById.get(correlationId.toLowerCase())?.length ?? 0,
    callersOf: (correlationId) => [...(sim.callersById.get(correlationId.toLowerCase()) ?? [])],
    calledIds: () => [...sim.callersById.keys()],
    touchesOf: (correlationId) => [...(sim.touchesById.get(correlationId.toLowerCase()) ?? [])],
    close: async () => {
      sim.limiter.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await sim.store.close();
    },
  };
}

/** The routes, as the official processor has them. */
function route(sim: Simulator, req: IncomingMessage, res: ServerResponse): Promise<void> | void {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const path = url.pathname;
  if (req.method === 'POST' && path === '/payments') return pay(sim, req, res);
  if (req.method === 'GET' && path === '/payments/service-health') return health(sim, res);
  if (req.method === 'GET' && path.startsWith('/payments/'))
    return lookUp(sim, decodeURIComponent(path.slice('/payments/'.length)), res, req.socket.remoteAddress ?? '');
  if (path.startsWith('/admin/')) return admin(sim, req, res, url);
  reply(res, 404);
}
