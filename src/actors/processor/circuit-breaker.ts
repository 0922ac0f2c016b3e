// A circuit breaker for one processor: it opens after N consecutive failures,
// lets one probe payment through after a cool-down (half-open), and closes on
// the probe's success. Pure state and a clock: no timers, easy to test.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  openedAt: number | null;
  /** Milliseconds until an open breaker lets a probe through (0 when it already allows sends). */
  msUntilProbe: number;
}

/**
 * How many payments a breaker lets through: unlimited when closed, one probe when half-open (none while the probe
 * is on its way), none when open. The one rule, for the breaker itself and for the snapshot the supervisor routes on.
 */
export function breakerAllowance(state: BreakerState, probeInFlight: boolean): number {
  switch (state) {
    case 'closed':
      return Number.POSITIVE_INFINITY;
    case 'half-open':
      return probeInFlight ? 0 : 1;
    case 'open':
      return 0;
  }
}

export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt: number | null = null;
  private probeInFlight = false;
  /** When the breaker last closed after being open (0: never opened). */
  closedAt = 0;

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** Half-open, with its one probe on its way. */
  get probing(): boolean {
    return this.probeInFlight;
  }

  /** How many payments may be sent now (breakerAllowance). */
  allowance(): number {
    return breakerAllowance(this.state, this.probeInFlight);
  }

  /** Call when a payment is sent while half-open: it is the probe. */
  onSend(): void {
    if (this.state === 'half-open') this.probeInFlight = true;
  }

  onSuccess(): void {
    if (this.openedAt !== null) this.closedAt = this.now();
    this.consecutiveFailures = 0;
    this.openedAt = null;
    this.probeInFlight = false;
  }

  onFailure(): void {
    this.consecutiveFailures++;
    const probeFailed = this.probeInFlight || this.state === 'half-open';
    this.probeInFlight = false;
    if (probeFailed || this.consecutiveFailures >= this.failureThreshold) this.openedAt = this.now();
  }

  /** Opens the breaker at once (the processor said it is failing, or is too slow to use). */
  trip(): void {
    this.consecutiveFailures = Math.max(this.consecutiveFailures, this.failureThreshold);
    this.probeInFlight = false;
    this.openedAt = this.now();
  }

  /** Milliseconds until an open breaker half-opens (0 when it already allows sends). */
  msUntilProbe(): number {
    if (this.openedAt === null) return 0;
    return Math.max(0, this.cooldownMs - (this.now() - this.openedAt));
  }

  snapshot(): BreakerSnapshot {
    return {
      state: this.state,
      consecutiveFailures: this.consecutiveFailures,
      openedAt: this.openedAt,
      msUntilProbe: this.msUntilProbe(),
    };
  }
}
