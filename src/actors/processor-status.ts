// What one processor actor knows about its processor: whether it may be sent
// payments now (circuit breaker), how slow it is, and its last health report.
// A processor is unavailable when it fails (consecutive failures, or its health
// says failing) or when it is too slow for the consistency window (its delay
// reaches the horizon); in both cases its breaker is open and one probe payment
// per cool-down finds out when it is back.
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
}

export class ProcessorStatus {
  readonly breaker: CircuitBreaker;
  private reason: Unavailability = null;
  private delayMs = 0;
  health: SharedHealth | null = null;

  constructor(private readonly options: StatusOptions, private readonly now: () => number = Date.now) {
    this.breaker = new CircuitBreaker(options.failureThreshold, options.cooldownMs, now);
  }

  /** Payments that may be sent now: unlimited, one probe, or none. */
  allowance(): number {
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
    // A moving average, so one slow answer does not switch processors by itself.
    this.delayMs = this.delayMs === 0 ? latencyMs : this.delayMs * 0.7 + latencyMs * 0.3;
    if (latencyMs >= this.options.horizonMs) this.trip('slow', true);
    else this.breaker.onSuccess();
  }

  /** A payment in flight for this long means the processor is at least that slow. */
  onInFlightAge(ageMs: number): void {
    if (ageMs >= this.options.horizonMs && this.breaker.state === 'closed') {
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
    return { breaker: this.breaker.snapshot(), unavailable: this.unavailable(), estimatedDelayMs: Math.round(this.delayMs), health: this.health };
  }
}
