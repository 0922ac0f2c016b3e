// The HTTP front end's contract: the services it calls (the core, behind them), its options, its routes and
// who may call each. server.ts serves it, routes.ts answers it.
import type { HttpRequest, HttpResponse } from '@trufflesuite/uws-js-unofficial';
import type { PaymentRequest, PaymentsSummary } from '../domain/payment';
import type { SummaryWindow } from '../domain/summary-window';

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

export interface Route {
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
