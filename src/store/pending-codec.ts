// How a pending payment is stored in Redis (a short JSON beside its id), and the claim ids that tell a claim
// tried again from a re-post.
import { randomUUID } from 'node:crypto';
import type { PendingPayment } from '../domain/pending-payment';
import type { ProcessorName } from '../domain/payment';

interface StoredPending {
  a: number;
  t: number;
  c?: string;
  p?: ProcessorName;
  r?: string;
}

export function encode(p: PendingPayment): string {
  const s: StoredPending = { a: p.amountCents, t: p.acceptedAt, c: p.claim };
  if (p.assignment) {
    s.p = p.assignment.processor;
    s.r = p.assignment.requestedAt;
  }
  return JSON.stringify(s);
}

// Unique to this process (a random base) and to each acceptance in it (a counter).
const CLAIM_BASE = randomUUID().slice(0, 8);
let claims = 0;
export const nextClaim = () => `${CLAIM_BASE}.${(claims++).toString(36)}`;

export function decode(correlationId: string, json: string): PendingPayment {
  const s = JSON.parse(json) as StoredPending;
  const p: PendingPayment = { correlationId, amountCents: s.a, acceptedAt: s.t };
  if (s.c) p.claim = s.c;
  if (s.p && s.r) p.assignment = { processor: s.p, requestedAt: s.r };
  return p;
}
