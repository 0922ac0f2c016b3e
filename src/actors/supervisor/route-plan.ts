// Where each waiting payment goes now: a pure function of the queue, the clock and
// what each processor may take, so the policy can be read and tested on its own.
import type { ProcessorName } from '../../domain/payment';
import type { PendingPayment } from '../../domain/pending-payment';

export interface RoutingInput {
  /** Waiting payments, oldest first. */
  queue: PendingPayment[];
  now: number;
  /** How long a payment waits for a failing (or slowing) default before fallback may take it. */
  defaultWaitMs: number;
  /** How many payments a processor may take now (breaker allowance and in-flight room). */
  capacity: (processor: ProcessorName) => number;
  /** Why a processor is unavailable, or null. */
  unavailable: (processor: ProcessorName) => 'failing' | 'slow' | 'slowing' | null;
}

export interface RoutingPlan {
  default: PendingPayment[];
  fallback: PendingPayment[];
  waiting: PendingPayment[];
}

export function planRoutes(input: RoutingInput): RoutingPlan {
  const { queue, now } = input;
  const toDefault = Math.min(queue.length, Math.max(0, input.capacity('default')));
  const plan: RoutingPlan = { default: queue.slice(0, toDefault), fallback: [], waiting: [] };
  const rest = toDefault === 0 ? queue : queue.slice(toDefault);
  if (rest.length === 0) return plan;

  // Fallback costs more: it only takes what default cannot, and only when waiting
  // longer would not pay: default too slow to be consistent, or failing (or slowing, its
  // delay not known yet) for too long.
  const defaultState = input.unavailable('default');
  let room = Math.max(0, input.capacity('fallback'));
  if (defaultState === null || room === 0) {
    plan.waiting = rest;
    return plan;
  }
  for (const p of rest) {
    const eligible = defaultState === 'slow' || now - p.acceptedAt >= input.defaultWaitMs;
    if (room > 0 && eligible) {
      plan.fallback.push(p);
      room--;
    } else plan.waiting.push(p);
  }
  return plan;
}
