// The front end's share of the warm-up (see src/core/warm-up.ts): its JavaScript hot path
// is parsing and validating bodies, so that runs a few thousand times before listening.
import { randomUUID } from 'node:crypto';
import { parsePaymentBody } from './payment-body';

export function warmUpParsing(rounds: number): number {
  let cents = 0;
  for (let i = 0; i < rounds; i++) {
    const body = JSON.stringify({ correlationId: randomUUID(), amount: 19.9 + (i % 100) / 100 });
    cents += parsePaymentBody(body).amountCents;
    try {
      parsePaymentBody(i % 2 === 0 ? '{"correlationId":"nope","amount":1}' : '{');
    } catch {
      // The refusal path is hot too.
    }
  }
  return cents;
}
