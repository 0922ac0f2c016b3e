// The HTTP front end on uWebSockets.js. It follows uWS' rules (stack-facts.md):
// onAborted before any deferred answer, request data read synchronously, every
// later answer inside res.cork, status before headers before end.
import { timingSafeEqual } from 'node:crypto';
import { chmodSync } from 'node:fs';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial';
import { ApiError } from './errors';
import { open, sendError } from './exchange';
import { routeHandlers } from './routes';
import { loadUws } from './uws';
import type { PaymentRequest, PaymentsSummary } from '../payment';
import type { SummaryWindow } from '../store/payments-table';

export interface HttpServices {
  /** Takes a valid payment: answered 202 at once, or, when a promise comes back, once it says durable (or 503). */
  acceptPayment(payment: PaymentRequest): void | Promise<boolean>;
  /** Why new payments cannot be made durable now (they get 503 with Retry-After), or null. */
  refusal?(): string | null;
  summary(window: SummaryWindow): Promise<PaymentsSummary>;
  purge(): Promise<void>;
  health(): Record<string, unknown>;
  metrics(): Promise<{ contentType: string; body: string }>;
  inspect(): Promise<unknown>;
  inspectPage(): string;
  /** Every instance's status (GET /cluster), and the page that draws it. */
  cluster(): Promise<unknown>;
  clusterPage(): string;
  /** False once shutdown began: new payments get 503. */
  accepting(): boolean;
  onRequestTimed?: (route: string, seconds: number) => void;
  /** A POST /payments refused for its input (the error code). */
  onPaymentRejected?(code: string): void;
  /** A valid POST /payments answered 503 because the store could not take it. */
  onPaymentRefused?(): void;
}

export interface HttpServerOptions {
  port: number;
  socketPath: string;
  maxBodyBytes: number;
  /** This instance's name: its routes are also served under /instances/<instanceId>. */
  instanceId: string;
  /** When not empty, the admin routes and every /instances/<id> route need `Authorization: Bearer <adminToken>`. */
  adminToken: string;
  /** With an admin token set, a longer summary window (or an open one) needs the token (SUMMARY_OPEN_WINDOW_MS). */
  summaryOpenWindowMs: number;
}

export interface RunningHttpServer {
  /** The TCP port listened on (0 for a Unix socket). */
  port: number;
  /** Requests received and not yet answered (nor aborted). */
  inProgress(): number;
  close(): void;
}

export type Handler = (res: HttpResponse, req: HttpRequest) => void;

/**
 * Who may call a route when an admin token is set:
 * - client: anyone as itself, the token under /instances/<id>;
 * - admin: the token, always (it erases records or shows internals);
 * - anyone: the actor and cluster pages, which hold no data (they ask /actors or /cluster, with the token they are
 *   given).
 */
type Access = 'client' | 'admin' | 'anyone';

interface Route {
  method: 'get' | 'post';
  access: Access;
}

export const ROUTES = {
  '/payments': { method: 'post', access: 'client' },
  '/payments-summary': { method: 'get', access: 'client' },
  '/purge-payments': { method: 'post', access: 'admin' },
  '/health': { method: 'get', access: 'client' },
  '/ready': { method: 'get', access: 'client' },
  '/metrics': { method: 'get', access: 'client' },
  '/actors': { method: 'get', access: 'admin' },
  '/actors.html': { method: 'get', access: 'anyone' },
  '/cluster': { method: 'get', access: 'admin' },
  '/cluster.html': { method: 'get', access: 'anyone' },
  '/openapi.json': { method: 'get', access: 'client' },
} as const satisfies Record<string, Route>;

export type AdminCheck = (authorization: string) => boolean;

/** Whether an Authorization header carries the admin token (always, when no token is set). */
function adminCheck(token: string): AdminCheck {
  if (!token) return () => true;
  const expected = Buffer.from(`Bearer ${token}`);
  return (authorization) => {
    const given = Buffer.from(authorization);
    // Compared in constant time, so the answer's timing does not tell how much of a guess was right.
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
}

export function startHttpServer(services: HttpServices, options: HttpServerOptions): Promise<RunningHttpServer> {
  const uws = loadUws();
  const app: TemplatedApp = uws.App();
  const live = { n: 0 };

  const authorized = adminCheck(options.adminToken);
  const handlers = routeHandlers(services, options, live, authorized);
  const refuse = (res: HttpResponse) =>
    sendError(open(res, live), new ApiError('UNAUTHORIZED'), { 'www-authenticate': 'Bearer' });
  const guarded =
    (handler: Handler): Handler =>
    (res, req) =>
      authorized(req.getHeader('authorization')) ? handler(res, req) : refuse(res);
  // Each route twice: as itself, and under /instances/<id> (how Nginx addresses one instance by name).
  const instancePrefix = `/instances/${options.instanceId}`;
  for (const [path, route] of Object.entries(ROUTES) as [keyof typeof ROUTES, Route][]) {
    const handler = handlers[path];
    app[route.method](path, route.access === 'admin' ? guarded(handler) : handler);
    app[route.method](instancePrefix + path, route.access === 'anyone' ? handler : guarded(handler));
  }

  app.any('/*', (res: HttpResponse, req: HttpRequest) => {
    let url = req.getUrl();
    if (url.startsWith(`${instancePrefix}/`)) {
      if (!authorized(req.getHeader('authorization'))) return refuse(res);
      url = url.slice(instancePrefix.length);
    }
    const ex = open(res, live);
    const route = ROUTES[url as keyof typeof ROUTES] as Route | undefined;
    if (route) sendError(ex, new ApiError('METHOD_NOT_ALLOWED'), { allow: route.method.toUpperCase() });
    else sendError(ex, new ApiError('NOT_FOUND'));
  });

  return new Promise((resolve, reject) => {
    const listening = (socket: us_listen_socket | false) => {
      if (!socket)
        return reject(
          new Error(
            options.socketPath ? `cannot listen on ${options.socketPath}` : `cannot listen on port ${options.port}`,
          ),
        );
      // Nginx workers may run as another user: let them connect to the socket.
      if (options.socketPath) chmodSync(options.socketPath, 0o666);
      resolve({
        port: options.socketPath ? 0 : uws.us_socket_local_port(socket),
        inProgress: () => live.n,
        close: () => uws.us_listen_socket_close(socket),
      });
    };
    if (options.socketPath) app.listen_unix(listening, options.socketPath);
    else app.listen('0.0.0.0', options.port, listening);
  });
}
