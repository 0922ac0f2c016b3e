// The JSON shapes that cross a boundary, named once.

export type ProcessorName = 'default' | 'fallback';
export const PROCESSOR_NAMES: readonly ProcessorName[] = ['default', 'fallback'];

/** A correlationId's shape: any UUID, either case (what we accept, and what the processors accept). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A payment as a client posts it to us. Amounts travel as integer cents inside the system. */
export interface PaymentRequest {
  correlationId: string;
  amountCents: number;
}

/** The body we POST to a processor's /payments. */
export interface ProcessorPaymentBody {
  correlationId: string;
  amount: number;
  requestedAt: string;
}

/** A payment a processor has recorded, exactly as it recorded it. */
export interface RecordedPayment {
  correlationId: string;
  amountCents: number;
  requestedAt: string;
  processor: ProcessorName;
  /**
   * When the processor's answer reached us (ms since the epoch): a summary counts only what was answered
   * before it was asked, as the processors count only what they stored before they were asked.
   */
  answeredAt: number;
}

/** One processor's part of GET /payments-summary. */
export interface ProcessorTotals {
  totalRequests: number;
  totalAmount: number;
}

/** The answer of GET /payments-summary. */
export type PaymentsSummary = Record<ProcessorName, ProcessorTotals>;

/** The answer of a processor's GET /payments/service-health. */
export interface ProcessorHealth {
  failing: boolean;
  minResponseTime: number;
}

/** A health report as the instances share it: when it was checked, and by which instance. */
export interface SharedHealth extends ProcessorHealth {
  checkedAt: number;
  checkedBy: string;
}

export function centsToAmount(cents: number): number {
  return Math.round(cents) / 100;
}
