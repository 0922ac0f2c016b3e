// What one processor actor knows about its processor: whether it may be sent
// payments now (circuit breaker), how slow it is, and its last health report.
// A processor is unavailable when it fails (consecutive failures, or its health
// says failing) or when it is too slow for the consistency window (its delay
// reaches the horizon); in both cases its breaker is open and one probe payment
// per cool-down finds out when it is back, unless its delay is known to be at or
// above the horizon: a probe would then be recorded seconds after its requestedAt,
// just when a consistency check may read, so only a health report reopens it.
import { CircuitBreaker, type BreakerSnapshot } from './circuit-breaker';
import type { ProcessorHealth } from '../payment';
import type { PaymentOutcome } from '../processor-client';

export type Unavailability = 'failing' | 'slow' | null;

export interface SharedHealth extends ProcessorHealth {
  checkedAt: number;
  checkedBy: string;
}

export interface ProcessorStatusSnapshot {
  breaker: BreakerSnapshot;
  unavailable: Unavailability;
  estimatedDelayMs: number;
  health: SharedHealth | null;
}

export interface StatusOptions {
  failureThreshold: number;
  cooldownMs: number;
  horizonMs: number;
  /** A payment unanswered this much longer than the expected delay means the processor slowed down. */
  slowMarginMs: number;
  /** ... but never sooner than this (a processor going from 0 to a moderate delay is not a hazard). */
  slowFloorMs: number;
}

export class ProcessorStatus {
  readonly breaker: CircuitBreaker;
  private reason: Unavailability = null;
  private delayMs = 0;
  health: SharedHealth | null = null;

  constructor(
    private readonly options: StatusOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.breaker = new CircuitBreaker(options.failureThreshold, options.cooldownMs, now);
  }

  /** Payments that may be sent now: unlimited, one probe, or none. */
  allowance(): number {
    if (this.breaker.state !== 'closed' && this.delayMs >= this.options.horizonMs) return 0;
    return this.breaker.allowance();
  }

  /** Why it is unavailable, or null when its breaker is closed. */
  unavailable(): Unavailability {
    return this.breaker.state === 'closed' ? null : this.reason;
  }

  estimatedDelayMs(): number {
    return this.delayMs;
  }

  onSend(): void {
    this.breaker.onSend();
  }

  onAttempt(outcome: PaymentOutcome, latencyMs: number): void {
    if (outcome !== 'recorded') {
      this.trip('failing', false);
      return;
    }
    if (latencyMs >= this.options.horizonMs) {
      this.delayMs = Math.max(this.delayMs, latencyMs);
      this.trip('slow', true);
      return;
    }
    // A moving average, so one slow answer does not switch processors by itself.
    this.delayMs = this.delayMs === 0 ? latencyMs : this.delayMs * 0.7 + latencyMs * 0.3;
    this.breaker.onSuccess();
  }

  /** How long a payment may stay unanswered before the processor counts as slowed down. */
  slowAfterMs(): number {
    const { horizonMs, slowMarginMs, slowFloorMs } = this.options;
    return Math.min(horizonMs, Math.max(slowFloorMs, this.delayMs + slowMarginMs));
  }

  /**
   * A payment in flight for this long means the processor is at least that slow. Waiting
   * for the whole horizon would let every payment sent meanwhile land seconds late
   * (the 103 ms -> 2000 ms change of the official test), so a sudden slowdown counts.
   */
  onInFlightAge(ageMs: number): void {
    if (this.breaker.state === 'closed' && ageMs >= this.slowAfterMs()) {
      this.delayMs = Math.max(this.delayMs, ageMs);
      this.trip('slow', true);
    }
  }

  onHealth(health: SharedHealth): void {
    if (this.health && health.checkedAt <= this.health.checkedAt) return;
    this.health = health;
    this.delayMs = health.minResponseTime;
    if (health.failing) this.trip('failing', true);
    else if (health.minResponseTime >= this.options.horizonMs) this.trip('slow', true);
    // A fresh report that it is healthy and fast closes the breaker at once: a probe
    // sent while it was slow could take seconds to say the same.
    // (Only a check made after the breaker opened says anything about why it opened.)
    else if (health.checkedAt > (this.breaker.snapshot().openedAt ?? 0)) this.breaker.onSuccess();
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
      health: this.health,
    };
  }
}
