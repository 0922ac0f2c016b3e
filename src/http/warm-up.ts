// The front end's share of the warm-up (see src/core/warm-up.ts): its JavaScript hot path
// is parsing and validating bodies, so that runs a few thousand times before listening.
import { randomUUID } from 'node:crypto';
import { parsePaymentBody } from './payment-body';

/** Parses `rounds` valid bodies and as many invalid ones; returns how many of each went through their path. */
export function warmUpParsing(rounds: number): { accepted: number; refused: number } {
  const done = { accepted: 0, refused: 0 };
  for (let i = 0; i < rounds; i++) {
    const body = JSON.stringify({ correlationId: randomUUID(), amount: 19.9 + (i % 100) / 100 });
    if (parsePaymentBody(body).amountCents > 0) done.accepted++;
    try {
      parsePaymentBody(i % 2 === 0 ? '{"correlationId":"nope","amount":1}' : '{');
    } catch {
      // The refusal path is hot too.
      done.refused++;
    }
  }
  return done;
}
