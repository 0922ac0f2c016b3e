// The HTTP front end on uWebSockets.js. It follows uWS' rules (stack-facts.md):
// onAborted before any deferred answer, request data read synchronously, every
// later answer inside res.cork, status before headers before end.
import { timingSafeEqual } from 'node:crypto';
import { chmodSync } from 'node:fs';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial';
import { ApiError } from './errors';
import { parsePaymentBody } from './payment-body';
import { parseSummaryWindow } from './summary-query';
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
  /** False once shutdown began: new payments get 503. */
  accepting(): boolean;
  onRequestTimed?: (route: string, seconds: number) => void;
  /** A POST /payments refused for its input (the error code). */
  onPaymentRejected?(code: string): void;
  /** A valid POST /payments answered 503 because the store could not take it. */
  onPaymentRefused?(): void;
}

/** What a client is told when the store cannot take a payment, by the core's reason (src/core/intake-gate.ts). */
const REFUSAL_DETAIL: Record<string, string> = {
  full: 'Redis is full (maxmemory): new payments cannot be made durable.',
  down: 'Redis is unreachable: new payments cannot be made durable.',
  'read-only': 'Redis is read-only (a replica): new payments cannot be made durable.',
  backlog: 'Too many accepted payments are not yet durable.',
};
/** Seconds a refused client should wait: the gate probes Redis every 200 ms. */
const RETRY_AFTER = { 'retry-after': '1' };

export interface HttpServerOptions {
  port: number;
  socketPath: string;
  maxBodyBytes: number;
  /** This instance's name: its routes are also served under /instances/<instanceId>. */
  instanceId: string;
  /** When not empty, the admin routes and every /instances/<id> route need `Authorization: Bearer <adminToken>`. */
  adminToken: string;
}

export interface RunningHttpServer {
  /** The TCP port listened on (0 for a Unix socket). */
  port: number;
  /** Requests received and not yet answered (nor aborted). */
  inProgress(): number;
  close(): void;
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  202: '202 Accepted',
  204: '204 No Content',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  413: '413 Payload Too Large',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

/** Tracks whether a response may still be written: after abort or end it must not be touched. */
interface Exchange {
  res: HttpResponse;
  done: boolean;
  /** This server's count of requests in progress. */
  live: { n: number };
}

function open(res: HttpResponse, live: { n: number }): Exchange {
  const ex: Exchange = { res, done: false, live };
  live.n++;
  res.onAborted(() => {
    if (!ex.done) live.n--;
    ex.done = true;
  });
  return ex;
}

function send(
  ex: Exchange,
  status: number,
  body: string,
  contentType = 'application/json',
  extraHeaders: Record<string, string> = {},
): void {
  if (ex.done) return;
  ex.done = true;
  ex.live.n--;
  ex.res.cork(() => {
    ex.res.writeStatus(STATUS_TEXT[status] ?? `${status}`);
    if (body.length > 0) ex.res.writeHeader('content-type', contentType);
    for (const [k, v] of Object.entries(extraHeaders)) ex.res.writeHeader(k, v);
    ex.res.end(body);
  });
}

function sendError(ex: Exchange, err: unknown, extraHeaders: Record<string, string> = {}): void {
  const apiError = err instanceof ApiError ? err : new ApiError('INTERNAL');
  send(ex, apiError.status, JSON.stringify(apiError), 'application/json', extraHeaders);
}

const utf8 = new TextDecoder();

/** Reads the whole body, or answers 413 and closes once it passes maxBytes. */
function readBody(ex: Exchange, maxBytes: number, onBody: (text: string) => void, onTooLarge?: () => void): void {
  let chunks: Buffer[] | null = null;
  let size = 0;
  ex.res.onData((chunk, isLast) => {
    if (ex.done) return;
    size += chunk.byteLength;
    if (size > maxBytes) {
      sendError(ex, new ApiError('BODY_TOO_LARGE'), { connection: 'close' });
      onTooLarge?.();
      return;
    }
    // The usual case, the whole body in one chunk: decode it in place, no copy.
    if (isLast && chunks === null) return onBody(utf8.decode(chunk));
    // The chunk's memory is reused once this callback returns: copy it (once).
    (chunks ??= []).push(Buffer.from(chunk.slice(0)));
    if (isLast) onBody(utf8.decode(Buffer.concat(chunks)));
  });
}

type Handler = (res: HttpResponse, req: HttpRequest) => void;

/**
 * Who may call a route when an admin token is set:
 * - client: anyone as itself, the token under /instances/<id>;
 * - admin: the token, always (it erases records or shows internals);
 * - anyone: the actor page, which holds no data (it asks /actors for the tree, with the token it is given).
 */
type Access = 'client' | 'admin' | 'anyone';

interface Route {
  method: 'get' | 'post';
  access: Access;
}

const ROUTES = {
  '/payments': { method: 'post', access: 'client' },
  '/payments-summary': { method: 'get', access: 'client' },
  '/purge-payments': { method: 'post', access: 'admin' },
  '/health': { method: 'get', access: 'client' },
  '/metrics': { method: 'get', access: 'client' },
  '/actors': { method: 'get', access: 'admin' },
  '/actors.html': { method: 'get', access: 'anyone' },
} as const satisfies Record<string, Route>;

/** Whether an Authorization header carries the admin token (always, when no token is set). */
function adminCheck(token: string): (authorization: string) => boolean {
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
  const timed = services.onRequestTimed;
  const live = { n: 0 };

  const payments = (res: HttpResponse) => {
    const started = timed ? performance.now() : 0;
    const ex = open(res, live);
    if (!services.accepting()) return sendError(ex, new ApiError('SHUTTING_DOWN'));
    readBody(
      ex,
      options.maxBodyBytes,
      (text) => {
        const answered = () => timed?.('payments', (performance.now() - started) / 1000);
        const refuse = (reason: string) => {
          sendError(ex, new ApiError('STORE_UNAVAILABLE', REFUSAL_DETAIL[reason] ?? reason), RETRY_AFTER);
          services.onPaymentRefused?.();
        };
        let durable: void | Promise<boolean>;
        try {
          const payment = parsePaymentBody(text);
          const refusal = services.refusal?.() ?? null;
          if (refusal !== null) {
            refuse(refusal);
            return answered();
          }
          durable = services.acceptPayment(payment);
        } catch (err) {
          sendError(ex, err);
          services.onPaymentRejected?.(err instanceof ApiError ? err.code : 'INTERNAL');
          return answered();
        }
        if (!durable) {
          send(ex, 202, '');
          return answered();
        }
        void durable.then((ok) => {
          if (ok) send(ex, 202, '');
          else refuse(services.refusal?.() ?? 'down');
          answered();
        });
      },
      () => services.onPaymentRejected?.('BODY_TOO_LARGE'),
    );
  };

  const summary = (res: HttpResponse, req: HttpRequest) => {
    const ex = open(res, live);
    let window: SummaryWindow;
    try {
      window = parseSummaryWindow(req.getQuery('from') ?? '', req.getQuery('to') ?? '');
    } catch (err) {
      return sendError(ex, err);
    }
    services.summary(window).then(
      (summary) => send(ex, 200, JSON.stringify(summary)),
      () => sendError(ex, new ApiError('STORE_UNAVAILABLE')),
    );
  };

  const purge = (res: HttpResponse) => {
    const ex = open(res, live);
    services.purge().then(
      () => send(ex, 200, JSON.stringify({ message: 'All payments purged.' })),
      () => sendError(ex, new ApiError('STORE_UNAVAILABLE')),
    );
  };

  const health = (res: HttpResponse) => {
    const ex = open(res, live);
    const health = services.health();
    send(ex, health.status === 'ok' ? 200 : 503, JSON.stringify(health));
  };

  const metrics = (res: HttpResponse) => {
    const ex = open(res, live);
    services.metrics().then(
      (m) => send(ex, 200, m.body, m.contentType),
      (err) => sendError(ex, err),
    );
  };

  const actors = (res: HttpResponse) => {
    const ex = open(res, live);
    services.inspect().then(
      (tree) => send(ex, 200, JSON.stringify(tree)),
      (err) => sendError(ex, err),
    );
  };

  const actorsPage = (res: HttpResponse) => {
    send(open(res, live), 200, services.inspectPage(), 'text/html; charset=utf-8');
  };

  const handlers: Record<keyof typeof ROUTES, Handler> = {
    '/payments': payments,
    '/payments-summary': summary,
    '/purge-payments': purge,
    '/health': health,
    '/metrics': metrics,
    '/actors': actors,
    '/actors.html': actorsPage,
  };
  const authorized = adminCheck(options.adminToken);
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
