// Processor health checks, shared by every instance. The processors allow one
// GET /payments/service-health per 5 s, for all our instances together, so a Redis
// lease (SET NX PX) decides which instance polls a processor in each interval; the
// result is stored in Redis and every instance reads it from there.
import type Redis from 'ioredis';
import type { SharedHealth } from '../domain/payment';
import type { Logger } from '../shared/log';
import { RepeatedWarning } from '../shared/repeated-warning';
import type { ProcessorName } from '../domain/payment';
import type { HealthResult } from '../domain/processor-answers';

export interface HealthSource {
  health(): Promise<HealthResult>;
}

export interface HealthMonitorOptions {
  redis: Redis;
  prefix: string;
  instanceId: string;
  intervalMs: number;
  /** How often an instance looks for the lease or a fresher shared result. */
  pollMs: number;
  processors: Record<ProcessorName, HealthSource>;
  onHealth: (processor: ProcessorName, health: SharedHealth) => void;
  onCheckFailed?: (processor: ProcessorName, reason: 'rate-limited' | 'unreachable') => void;
  log: Logger;
  /** A failure that repeats is logged at most once per this many ms. */
  logRepeatMs?: number;
}

export class HealthMonitor {
  private timer: NodeJS.Timeout | null = null;
  private readonly lastSeen: Record<string, number> = {};
  private running = false;

  private readonly roundWarning: RepeatedWarning;

  constructor(private readonly options: HealthMonitorOptions) {
    this.roundWarning = new RepeatedWarning(options.log, 'health-round-failed', options.logRepeatMs ?? 10_000);
  }

  start(): void {
    this.timer = setInterval(() => void this.round(), this.options.pollMs);
    this.timer.unref();
    void this.round();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One look at each processor: poll it if we hold the lease, else read what the holder stored. */
  async round(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await Promise.all((Object.keys(this.options.processors) as ProcessorName[]).map((p) => this.check(p)));
    } finally {
      this.running = false;
    }
  }

  private async check(processor: ProcessorName): Promise<void> {
    const { redis, prefix, instanceId, intervalMs, log } = this.options;
    try {
      const lease = await redis.set(`${prefix}health-lease:${processor}`, instanceId, 'PX', intervalMs, 'NX');
      if (lease === 'OK') {
        const result = await this.options.processors[processor].health();
        if (result.kind === 'health') {
          const shared: SharedHealth = { ...result.health, checkedAt: Date.now(), checkedBy: instanceId };
          await redis.set(`${prefix}health:${processor}`, JSON.stringify(shared));
        } else {
          // A 429 says nothing about the processor; an unreachable one is reported by its payments' failures.
          this.options.onCheckFailed?.(processor, result.kind);
          log.debug('health-check-skipped', { processor, reason: result.kind });
        }
      }
      const stored = await redis.get(`${prefix}health:${processor}`);
      this.roundWarning.recovered();
      if (!stored) return;
      const health = JSON.parse(stored) as SharedHealth;
      if ((this.lastSeen[processor] ?? 0) >= health.checkedAt) return;
      this.lastSeen[processor] = health.checkedAt;
      this.options.onHealth(processor, health);
    } catch (err) {
      this.roundWarning.failed({ processor, err });
    }
  }
}
