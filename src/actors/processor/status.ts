// What one processor actor knows about its processor: whether it may be sent
// payments now (circuit breaker), how slow it is, and its last health report.
// A processor is unavailable when it fails (consecutive failures, or its health
// says failing) or when it is too slow for the consistency window (its delay
// reaches the horizon); in both cases its breaker is open and one probe payment
// per cool-down finds out when it is back, with two exceptions, both because a
// probe to a processor that has become slow is recorded seconds after its
// requestedAt, just when a consistency check may read:
// - its delay is known to be at or above the horizon: only a health report, or an
//   answer below the horizon, reopens it;
// - it was found slow by payments still on their way: their answers will tell how
//   slow it is, and a probe would only add one more payment at risk.
import { allowanceOf, type Availability, type Unavailability } from './availability';
import { CircuitBreaker, type BreakerSnapshot } from './circuit-breaker';
import type { SharedHealth } from '../../domain/payment';
import type { PaymentOutcome } from '../../domain/processor-answers';

export interface ProcessorStatusSnapshot {
  breaker: BreakerSnapshot;
  unavailable: Unavailability;
  estimatedDelayMs: number;
  /** How long a payment may stay unanswered before the processor counts as slowed down. */
  slowAfterMs: number;
  health: SharedHealth | null;
}

export interface StatusOptions {
  failureThreshold: number;
  cooldownMs: number;
  horizonMs: number;
  /**
   * A payment unanswered this much longer than the expected delay means the processor slowed down: the
   * least margin, used while the answers' spread is small (four times the spread otherwise).
   */
  slowMarginMs: number;
}

/** How many spreads past the expected delay an unanswered payment must be to count as slow (as TCP's RTO does). */
const SPREAD_FACTOR = 4;

export class ProcessorStatus {
  readonly breaker: CircuitBreaker;
  private reason: Unavailability = null;
  private delayMs = 0;
  /** Moving mean of how far answers fall from the expected delay. */
  private spreadMs = 0;
  /** Payments sent and not answered yet (a pinned retry is one more). */
  private unanswered = 0;
  health: SharedHealth | null = null;

  constructor(
    private readonly options: StatusOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.breaker = new CircuitBreaker(options.failureThreshold, options.cooldownMs, now);
  }

  /** Payments that may be sent now: unlimited, one probe, or none. */
  allowance(): number {
    return allowanceOf(this.availability());
  }

  /** What the supervisor may route on, as of now (availability.ts says what it allows at a given time). */
  availability(): Availability {
    return {
      breaker: this.breaker.state,
      probeInFlight: this.breaker.probing,
      noProbe:
        this.delayMs >= this.options.horizonMs ||
        ((this.reason === 'slow' || this.reason === 'slowing') && this.unanswered > 0),
      reason: this.reason,
    };
  }

  /** Why it is unavailable, or null when its breaker is closed. */
  unavailable(): Unavailability {
    return this.breaker.state === 'closed' ? null : this.reason;
  }

  estimatedDelayMs(): number {
    return this.delayMs;
  }

  onSend(): void {
    this.unanswered++;
    this.breaker.onSend();
  }

  /** Every payment sent is answered exactly once here, whatever its outcome. */
  onAttempt(outcome: PaymentOutcome, latencyMs: number): void {
    this.unanswered = Math.max(0, this.unanswered - 1);
    if (outcome !== 'recorded') {
      this.trip('failing', false);
      return;
    }
    if (latencyMs >= this.options.horizonMs) {
      this.delayMs = Math.max(this.delayMs, latencyMs);
      this.trip('slow', true);
      return;
    }
    this.learnDelay(latencyMs);
    this.breaker.onSuccess();
  }

  /**
   * A payment whose answer was lost was found recorded this long after it first went out: the processor
   * records, only slower than our time-out. Below the horizon that closes the breaker its lost answers opened;
   * at or above it, it is slow.
   */
  onFoundRecorded(ageMs: number): void {
    if (ageMs >= this.options.horizonMs) {
      this.delayMs = Math.max(this.delayMs, ageMs);
      this.trip('slow', true);
    } else if (this.breaker.state !== 'closed' && this.reason === 'failing') this.breaker.onSuccess();
  }

  /**
   * A moving average, so one slow answer does not switch processors by itself, and the spread of answers
   * around it. The first answer after the breaker opened starts the estimate afresh: the breaker opened
   * because the processor changed, and the estimate it had then was only a lower bound.
   */
  private learnDelay(latencyMs: number): void {
    if (this.delayMs === 0 || this.breaker.state !== 'closed') {
      this.delayMs = latencyMs;
      return;
    }
    this.spreadMs = this.spreadMs * 0.75 + Math.abs(latencyMs - this.delayMs) * 0.25;
    this.delayMs = this.delayMs * 0.7 + latencyMs * 0.3;
  }

  /** How long a payment may stay unanswered before the processor counts as slowed down. */
  slowAfterMs(): number {
    const { horizonMs, slowMarginMs } = this.options;
    return Math.min(horizonMs, this.delayMs + Math.max(slowMarginMs, SPREAD_FACTOR * this.spreadMs));
  }

  /**
   * A payment in flight for this long means the processor is at least that slow. Waiting
   * for the whole horizon would let every payment sent meanwhile land seconds late
   * (the 103 ms -> 2000 ms change of the official test), so a sudden slowdown counts as
   * soon as the oldest payment is a few spreads late. Once open, ages still raise the
   * estimate: ages past the horizon mean no probe until a report or an answer says otherwise.
   */
  onInFlightAge(ageMs: number): void {
    if (this.breaker.state !== 'closed') {
      if (this.reason !== 'slow' && this.reason !== 'slowing') return;
      this.delayMs = Math.max(this.delayMs, ageMs);
      // Known now to be past the horizon: from here on fallback takes its payments.
      if (this.delayMs >= this.options.horizonMs) this.reason = 'slow';
      return;
    }
    if (ageMs >= this.slowAfterMs()) {
      this.delayMs = Math.max(this.delayMs, ageMs);
      this.trip(this.delayMs >= this.options.horizonMs ? 'slow' : 'slowing', true);
    }
  }

  onHealth(health: SharedHealth): void {
    if (this.health && health.checkedAt <= this.health.checkedAt) return;
    this.health = health;
    // Only a check made after the breaker opened says anything about why it opened: an older report
    // of a fast processor must not lower what the payments in flight showed since.
    const stale = this.breaker.state !== 'closed' && health.checkedAt <= (this.breaker.snapshot().openedAt ?? 0);
    if (health.failing) {
      // Its delay too: a probe to a failing processor with a 5 s delay is recorded 5 s later if it recovers
      // meanwhile (the official test's 150 s change), so at or above the horizon no probe goes.
      this.delayMs = stale ? Math.max(this.delayMs, health.minResponseTime) : health.minResponseTime;
      this.trip('failing', true);
    } else if (health.minResponseTime >= this.options.horizonMs) {
      this.delayMs = health.minResponseTime;
      this.trip('slow', true);
    } else if (!stale) {
      // A fresh report that it is healthy and fast closes the breaker at once: a probe
      // sent while it was slow could take seconds to say the same.
      this.delayMs = health.minResponseTime;
      this.breaker.onSuccess();
    }
  }

  private trip(reason: Exclude<Unavailability, null>, openNow: boolean): void {
    this.reason = reason;
    if (openNow) this.breaker.trip();
    else this.breaker.onFailure();
  }

  snapshot(): ProcessorStatusSnapshot {
    return {
      breaker: this.breaker.snapshot(),
      unavailable: this.unavailable(),
      estimatedDelayMs: Math.round(this.delayMs),
      slowAfterMs: Math.round(this.slowAfterMs()),
      health: this.health,
    };
  }
}
