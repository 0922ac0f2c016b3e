// Strict validation of POST /payments bodies: exactly {correlationId, amount}.
import { ApiError } from './errors';
import { UUID, type PaymentRequest } from '../domain/payment';

/** Largest amount taken: keeps any realistic total of cents exact in a double. */
export const MAX_AMOUNT_CENTS = 1_000_000_000;

export function parsePaymentBody(text: string): PaymentRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError('INVALID_JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError('BODY_NOT_OBJECT');
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (key !== 'correlationId' && key !== 'amount') throw new ApiError('UNKNOWN_FIELD', key);
  }
  if (!('correlationId' in fields)) throw new ApiError('MISSING_FIELD', 'correlationId');
  if (!('amount' in fields)) throw new ApiError('MISSING_FIELD', 'amount');
  const { correlationId, amount } = fields;
  if (typeof correlationId !== 'string' || !UUID.test(correlationId)) throw new ApiError('INVALID_CORRELATION_ID');
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0) throw new ApiError('INVALID_AMOUNT');
  const cents = Math.round(amount * 100);
  // 19.9 * 100 is 1989.9999999999998: compare with a tolerance far below a cent.
  if (Math.abs(amount * 100 - cents) > 1e-6 || cents < 1 || cents > MAX_AMOUNT_CENTS)
    throw new ApiError('INVALID_AMOUNT');
  return { correlationId: correlationId.toLowerCase(), amountCents: cents };
}
