// What a Payment Processor's answers say, once classified (gateway/processor-client.ts classifies them).
import type { ProcessorHealth } from './payment';

export type PaymentOutcome = 'recorded' | 'duplicate' | 'rejected' | 'unknown';

export interface PaymentAttempt {
  outcome: PaymentOutcome;
  status: number | null;
  latencyMs: number;
}

export type LookupResult =
  { found: true; amount: number; requestedAt: string } | { found: false } | { found: 'unknown' };

export type HealthResult =
  { kind: 'health'; health: ProcessorHealth } | { kind: 'rate-limited' } | { kind: 'unreachable' };
