// How many payments the supervisor may hand to processors right now: a token bucket
// refilled at PROCESSOR_SEND_RATE per second, holding at most 50 ms worth. Without it a
// backlog (payments that waited out a failing default) is sent all at once when default
// comes back, and the burst of processor calls, Redis and Postgres work uses up the
// instance's CPU quota: every thread of the process, the HTTP one too, is then stopped
// for the rest of the 100 ms period. Steady traffic (well under the rate) is not slowed.
export class SendBudget {
  private tokens: number;
  private last: number;
  private readonly burst: number;

  constructor(
    private readonly ratePerS: number,
    private readonly now: () => number = Date.now,
  ) {
    this.burst = Math.max(1, ratePerS * 0.05);
    this.tokens = this.burst;
    this.last = now();
  }

  /** Whole payments that may be sent now (Infinity when the rate is 0: no limit). */
  available(): number {
    if (this.ratePerS <= 0) return Number.POSITIVE_INFINITY;
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerS);
    this.last = t;
    return Math.floor(this.tokens);
  }

  spend(count: number): void {
    if (this.ratePerS > 0) this.tokens -= count;
  }
}
