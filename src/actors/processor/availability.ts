// What the supervisor knows of a processor when it routes: an immutable snapshot that the processor actor tells
// it whenever it changes (the supervisor never reads the actor's own objects). An open breaker half-opens by the
// actor's clock: the actor's cool-down timer tells the supervisor then.
import { breakerAllowance, type BreakerState } from './circuit-breaker';

/**
 * Why a processor's breaker is open: `failing`; `slow`, its delay at or past the horizon (payments would be
 * stored too late for the consistency window: fallback takes them at once); `slowing`, a payment is unanswered
 * past the expected delay, how slow it is not known yet (payments wait for the answers on their way, which say:
 * below the horizon it opens again, past it, it is slow).
 */
export type Unavailability = 'failing' | 'slow' | 'slowing' | null;

export interface Availability {
  breaker: BreakerState;
  /** The half-open breaker's one probe is on its way. */
  probeInFlight: boolean;
  /** Not even a probe may go: its delay is past the horizon, or it was found slow with payments unanswered. */
  noProbe: boolean;
  /** Why its breaker is open. */
  reason: Unavailability;
}

/** A processor nothing is known against yet: its breaker closed. */
export const AVAILABLE: Availability = { breaker: 'closed', probeInFlight: false, noProbe: false, reason: null };

/** Payments that may be sent: unlimited (closed), one probe (half-open), or none. */
export function allowanceOf(a: Availability): number {
  if (a.breaker !== 'closed' && a.noProbe) return 0;
  return breakerAllowance(a.breaker, a.probeInFlight);
}

/** Why it is unavailable, or null while its breaker is closed. */
export function unavailableOf(a: Availability): Unavailability {
  return a.breaker === 'closed' ? null : a.reason;
}

export function sameAvailability(a: Availability, b: Availability): boolean {
  return (
    a.breaker === b.breaker && a.probeInFlight === b.probeInFlight && a.noProbe === b.noProbe && a.reason === b.reason
  );
}
