// The messages between the front end (main thread) and the core's worker thread.
import type { PendingPayment } from '../store/pending-payments';
import type { RefusalReason } from './intake-gate';
import type { PaymentCore } from './payment-core';

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
