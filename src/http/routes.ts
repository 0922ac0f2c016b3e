// What each route answers. Every handler opens its exchange first (exchange.ts), so an
// abort is always seen, and answers through send/sendError only.
import type { HttpRequest, HttpResponse } from '@trufflesuite/uws-js-unofficial';
import { ApiError } from './errors';
import { open, readBody, send, sendError, type Exchange } from './exchange';
import { OPENAPI } from './openapi';
import { parsePaymentBody } from './payment-body';
import type { AdminCheck, Handler, HttpServerOptions, HttpServices, ROUTES } from './http-api';
import { parseSummaryWindow, windowLongerThan } from './summary-query';
import type { SummaryWindow } from '../domain/summary-window';

/** What a client is told when the store cannot take a payment, by the core's reason (src/core/intake-gate.ts). */
const REFUSAL_DETAIL: Record<string, string> = {
  full: 'Redis is full (maxmemory): new payments cannot be made durable.',
  down: 'Redis is unreachable: new payments cannot be made durable.',
  'read-only': 'Redis is read-only (a replica): new payments cannot be made durable.',
  unreplicated: "Redis' replicas do not confirm writes (REDIS_MIN_REPLICAS): new payments cannot be made durable.",
  backlog: 'Too many accepted payments are not yet durable.',
  held: 'This instance holds MAX_HELD payments that the processors or Postgres have not taken yet.',
};
/** Seconds a refused client should wait: the gate probes Redis every 200 ms. */
const RETRY_AFTER = { 'retry-after': '1' };

type Live = { n: number };

/** The API document, serialised once. */
const OPENAPI_TEXT = JSON.stringify(OPENAPI);

/** A whole POST /payments body: 202 at once, 202 or 503 once durable (ACK_WHEN_DURABLE), or a 4xx/503. */
function takePayment(ex: Exchange, text: string, services: HttpServices, answered: () => void): void {
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
}

function paymentsRoute(services: HttpServices, options: HttpServerOptions, live: Live): Handler {
  const timed = services.onRequestTimed;
  return (res: HttpResponse) => {
    const started = timed ? performance.now() : 0;
    const ex = open(res, live);
    if (!services.accepting()) return sendError(ex, new ApiError('SHUTTING_DOWN'));
    const answered = () => timed?.('payments', (performance.now() - started) / 1000);
    readBody(
      ex,
      options.maxBodyBytes,
      (text) => takePayment(ex, text, services, answered),
      () => services.onPaymentRejected?.('BODY_TOO_LARGE'),
    );
  };
}

/**
 * With an admin token set, a long summary is an operator's: it scans that many rows on the summary pool,
 * which a client should not be able to fill. Without a token (the contest) every window is open.
 */
function summaryAllowed(options: HttpServerOptions, authorized: AdminCheck, req: HttpRequest, w: SummaryWindow) {
  if (!options.adminToken || !windowLongerThan(w, options.summaryOpenWindowMs)) return true;
  return authorized(req.getHeader('authorization'));
}

function summaryRoute(services: HttpServices, options: HttpServerOptions, live: Live, authorized: AdminCheck): Handler {
  return (res: HttpResponse, req: HttpRequest) => {
    // The moment it was asked: what was answered after this is not counted (SummaryWindow.asOf).
    const asOf = new Date();
    const ex = open(res, live);
    let window: SummaryWindow;
    try {
      window = { ...parseSummaryWindow(req.getQuery('from') ?? '', req.getQuery('to') ?? ''), asOf };
    } catch (err) {
      return sendError(ex, err);
    }
    if (!summaryAllowed(options, authorized, req, window)) {
      const detail = `The longest window open to anyone is ${options.summaryOpenWindowMs} ms, from and to both given.`;
      return sendError(ex, new ApiError('SUMMARY_WINDOW_TOO_LONG', detail));
    }
    services.summary(window).then(
      (summary) => send(ex, 200, JSON.stringify(summary)),
      () => sendError(ex, new ApiError('STORE_UNAVAILABLE')),
    );
  };
}

/** A route whose answer is one promise: 200 with its JSON, or the error (`failure` when given). */
function promisedRoute<T>(live: Live, answer: () => Promise<T>, body: (v: T) => string, failure?: ApiError): Handler {
  return (res: HttpResponse) => {
    const ex = open(res, live);
    answer().then(
      (v) => send(ex, 200, body(v)),
      (err) => sendError(ex, failure ?? err),
    );
  };
}

export function routeHandlers(
  services: HttpServices,
  options: HttpServerOptions,
  live: Live,
  authorized: AdminCheck,
): Record<keyof typeof ROUTES, Handler> {
  return {
    '/payments': paymentsRoute(services, options, live),
    '/payments-summary': summaryRoute(services, options, live, authorized),
    '/purge-payments': promisedRoute(
      live,
      () => services.purge(),
      () => JSON.stringify({ message: 'All payments purged.' }),
      new ApiError('STORE_UNAVAILABLE'),
    ),
    '/health': (res) => {
      const health = services.health();
      send(open(res, live), health.status === 'ok' ? 200 : 503, JSON.stringify(health));
    },
    // Readiness, beside liveness (/health): 503 while this instance would refuse a payment, and why.
    '/ready': (res) => {
      const reason = !services.accepting() ? 'shutting-down' : (services.refusal?.() ?? null);
      const body = reason === null ? { status: 'ready' } : { status: 'not-ready', reason };
      send(open(res, live), reason === null ? 200 : 503, JSON.stringify(body));
    },
    '/metrics': (res) => {
      const ex = open(res, live);
      services.metrics().then(
        (m) => send(ex, 200, m.body, m.contentType),
        (err) => sendError(ex, err),
      );
    },
    '/actors': promisedRoute(live, () => services.inspect(), JSON.stringify),
    '/actors.html': (res) => send(open(res, live), 200, services.inspectPage(), 'text/html; charset=utf-8'),
    '/cluster': promisedRoute(live, () => services.cluster(), JSON.stringify),
    '/cluster.html': (res) => send(open(res, live), 200, services.clusterPage(), 'text/html; charset=utf-8'),
    '/openapi.json': (res) => send(open(res, live), 200, OPENAPI_TEXT),
  };
}
