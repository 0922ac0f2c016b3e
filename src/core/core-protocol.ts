// What the front end (main thread) needs of the core, and the messages between them when the core runs in a
// worker thread of its own.
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { ClusterView } from './cluster-view';
import type { RefusalReason } from './intake-gate';
import type { SupervisorSnapshot } from '../actors/supervisor/protocol';
import type { PaymentsSummary } from '../domain/payment';
import type { PendingPayment } from '../domain/pending-payment';
import type { SummaryWindow } from '../domain/summary-window';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** What the HTTP front end needs of the core, whether it runs in this thread or another. */
export interface PaymentCore {
  /**
   * Payments in the order they were accepted: already answered 202, or, with `batch` set
   * (ACK_WHEN_DURABLE), waiting for CoreEvents.onBatchSettled(batch) to be answered.
   */
  accept: (payments: PendingPayment[], batch?: number) => void;
  /** Flushes every live instance's writers, then reads Postgres. */
  summary(window: SummaryWindow): Promise<PaymentsSummary>;
  purge(): Promise<void>;
  inspect(): Promise<SupervisorSnapshot>;
  /** Every instance's last published status, and this one's now (GET /cluster). */
  cluster(): Promise<ClusterView>;
  /** The core's metrics (gauges refreshed), as prom-client JSON to merge with the front end's. */
  metrics(): Promise<MetricsJson>;
  /** Lets in-flight payments settle (bounded), flushes the writers, hands the rest over, closes. */
  close(): Promise<void>;
}

/** What the core tells the front end without being asked. */
export interface CoreEvents {
  /** New payments must be refused (503), and why; null once they are welcome again. */
  onRefusal?(reason: RefusalReason | null): void;
  /** A batch handed over with an id: durable (answer 202) or not (answer 503). */
  onBatchSettled?(batch: number, durable: boolean): void;
}

/** The core's methods that answer; accept() is one-way. */
export type CoreMethod = Exclude<keyof PaymentCore, 'accept'>;

export type ToCore =
  | { type: 'accept'; payments: PendingPayment[]; batch?: number }
  | { type: 'call'; id: number; method: CoreMethod; arg?: unknown };

export type FromCore =
  | { type: 'ready' }
  | { type: 'start-failed'; message: string }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; message: string }
  /** CoreEvents, as they happen. */
  | { type: 'refusal'; reason: RefusalReason | null }
  | { type: 'batch-settled'; batch: number; durable: boolean };
