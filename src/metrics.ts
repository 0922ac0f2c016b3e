// Prometheus metrics of one instance (prom-client). Each app gets its own registry,
// so several instances can live in one process (tests) without clashing. The front end
// and the core thread each fill a registry of this shape; /metrics merges the two.
import {
  AggregatorRegistry,
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';
import { PROCESSOR_NAMES } from './payment';
import type { HealthResult, PaymentOutcome } from './processor-client';

/** Outcomes the front end counts (processor="none"); refused: 503 because the store could not take it. */
export const INTAKE_OUTCOMES = ['accepted', 'rejected_input', 'refused'] as const;
/** Why a claim in Redis failed (src/core/intake-gate.ts); dedupe-lost: Redis lost its data, a rebuild runs. */
export const CLAIM_FAILURE_REASONS = ['full', 'down', 'read-only', 'unreplicated', 'dedupe-lost'] as const;
/** Outcomes counted per processor: handed to it, then what its answer said (src/processor-client.ts). */
export const PROCESSOR_OUTCOMES = ['sent', 'recorded', 'duplicate', 'rejected', 'unknown'] as const satisfies readonly (
  PaymentOutcome | 'sent'
)[];
/** Why a health check gave no health (src/health-monitor.ts). */
export const HEALTH_FAILURE_REASONS = ['rate-limited', 'unreachable'] as const satisfies readonly Exclude<
  HealthResult['kind'],
  'health'
>[];

/** From 0.1 ms, doubling: the defaults start at 5 ms and would hide everything this system does. */
export const LATENCY_BUCKETS = Array.from({ length: 16 }, (_, i) => 0.0001 * 2 ** i);

export class Metrics {
  readonly registry = new Registry();
  // Every metric is declared where it is named: the list below is the catalogue /metrics serves.
  readonly paymentRequests: Counter<'processor' | 'outcome'> = new Counter({
    name: 'payment_requests_total',
    help:
      'Payments by processor and outcome: processor="none" accepted or rejected_input (the front end); ' +
      'per processor sent, then recorded, rejected or unknown (its answer).',
    labelNames: ['processor', 'outcome'],
    registers: [this.registry],
  });
  readonly paymentDuration: Histogram<'stage' | 'processor'> = new Histogram({
    name: 'payment_duration_seconds',
    help: 'Time to answer POST /payments (stage=answer) and time of each processor call (stage=processor).',
    labelNames: ['stage', 'processor'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly healthCheckFailures: Counter<'processor' | 'reason'> = new Counter({
    name: 'health_check_failures_total',
    help: 'Health checks that gave no health (rate-limited or unreachable).',
    labelNames: ['processor', 'reason'],
    registers: [this.registry],
  });
  readonly breakerState: Gauge<'processor'> = new Gauge({
    name: 'processor_breaker_state',
    help: 'Circuit breaker per processor: 0 closed, 1 half-open, 2 open.',
    labelNames: ['processor'],
    registers: [this.registry],
  });
  readonly waiting: Gauge = new Gauge({
    name: 'payments_waiting',
    help: 'Payments waiting in the supervisor for a processor.',
    registers: [this.registry],
  });
  readonly inFlight: Gauge<'processor'> = new Gauge({
    name: 'payments_in_flight',
    help: 'Payments sent to a processor and not yet settled.',
    labelNames: ['processor'],
    registers: [this.registry],
  });
  readonly writerBatchSize: Histogram = new Histogram({
    name: 'writer_batch_size',
    help: 'Rows per Postgres INSERT.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });
  readonly writerFlushSeconds: Histogram = new Histogram({
    name: 'writer_flush_seconds',
    help: 'Time of one Postgres INSERT.',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly activeConnections: Gauge<'peer'> = new Gauge({
    name: 'active_connections',
    help:
      'Open connections to each processor (peer=default|fallback), and client requests in progress ' +
      '(peer=clients; uWS does not report idle client connections).',
    labelNames: ['peer'],
    registers: [this.registry],
  });
  readonly notDurable: Gauge = new Gauge({
    name: 'payments_not_durable',
    help:
      'Payments answered 202 whose claim in Redis has not landed yet (held in memory; capped by ' + 'MAX_NOT_DURABLE).',
    registers: [this.registry],
  });
  readonly held: Gauge = new Gauge({
    name: 'payments_held',
    help:
      'Payments this instance holds in memory between their claim and their row in Postgres (capped by MAX_HELD: ' +
      'at the cap, new payments get 503 and take-overs wait in Redis).',
    registers: [this.registry],
  });
  readonly claimFailures: Counter<'reason'> = new Counter({
    name: 'claim_failures_total',
    help:
      'Claims in Redis that failed, by reason: full (maxmemory), down, read-only, unreplicated (fewer ' +
      'replicas than REDIS_MIN_REPLICAS confirmed), dedupe-lost.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly redisMemoryUsed: Gauge = new Gauge({
    name: 'redis_memory_used_bytes',
    help: "Redis' used_memory, read at each scrape.",
    registers: [this.registry],
  });
  readonly redisMemoryMax: Gauge = new Gauge({
    name: 'redis_memory_max_bytes',
    help: "Redis' maxmemory (0: no cap), read at each scrape: claims fail once used reaches it.",
    registers: [this.registry],
  });

  /**
   * `nodeDefaults`: Node's own metrics (memory, GC, event-loop delay), labelled with the thread
   * they describe; `loopSampleMs`: how often the event-loop delay is sampled.
   */
  constructor(instanceId: string, nodeDefaults: { thread: string } | false = { thread: 'main' }, loopSampleMs = 10) {
    this.registry.setDefaultLabels({ instance: instanceId });
    // Each sample is a timer wake-up: at 1 ms, the two threads of an idle instance spent 3 % of a
    // CPU on them (of the 0.45 it has). Sampling less often misses short delays, not long ones.
    if (nodeDefaults)
      collectDefaultMetrics({
        register: this.registry,
        eventLoopMonitoringPrecision: loopSampleMs,
        labels: nodeDefaults,
      });
  }

  /**
   * Creates every series of known labels that this part of an instance fills, at 0, so that dashboards and
   * rate() see them from start-up instead of "no data" until the first payment or failure.
   */
  startAtZero(part: 'front-end' | 'core'): void {
    if (part === 'front-end') {
      for (const outcome of INTAKE_OUTCOMES) this.paymentRequests.inc({ processor: 'none', outcome }, 0);
      this.paymentDuration.zero({ stage: 'answer', processor: 'none' });
      this.activeConnections.set({ peer: 'clients' }, 0);
      return;
    }
    for (const processor of PROCESSOR_NAMES) {
      for (const outcome of PROCESSOR_OUTCOMES) this.paymentRequests.inc({ processor, outcome }, 0);
      for (const reason of HEALTH_FAILURE_REASONS) this.healthCheckFailures.inc({ processor, reason }, 0);
      this.paymentDuration.zero({ stage: 'processor', processor });
      this.breakerState.set({ processor }, 0);
      this.inFlight.set({ processor }, 0);
      this.activeConnections.set({ peer: processor }, 0);
    }
    for (const reason of CLAIM_FAILURE_REASONS) this.claimFailures.inc({ reason }, 0);
    this.waiting.set(0);
    this.notDurable.set(0);
    this.held.set(0);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** One exposition of several registries' JSON: series with equal labels add up, the rest sit side by side. */
export async function mergeMetrics(
  parts: MetricObjectWithValues<MetricValue<string>>[][],
): Promise<{ contentType: string; body: string }> {
  const merged = AggregatorRegistry.aggregate(parts);
  return { contentType: merged.contentType, body: await merged.metrics() };
}
