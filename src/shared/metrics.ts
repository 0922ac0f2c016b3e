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
import { PROCESSOR_NAMES } from '../domain/payment';
import type { HealthResult, PaymentOutcome } from '../domain/processor-answers';

/** Outcomes the front end counts; refused: 503 because the store could not take it. */
export const INTAKE_OUTCOMES = ['accepted', 'rejected_input', 'refused'] as const;
/** Why a claim in Redis failed (src/core/intake-gate.ts); dedupe-lost: Redis lost its data, a rebuild runs. */
export const CLAIM_FAILURE_REASONS = ['full', 'down', 'read-only', 'unreplicated', 'dedupe-lost'] as const;
/** Outcomes counted per processor: handed to it, then what its answer said (src/gateway/processor-client.ts). */
export const PROCESSOR_OUTCOMES = ['sent', 'recorded', 'duplicate', 'rejected', 'unknown'] as const satisfies readonly (
  PaymentOutcome | 'sent'
)[];
/** Why a health check gave no health (src/cluster/health-monitor.ts). */
export const HEALTH_FAILURE_REASONS = ['rate-limited', 'unreachable'] as const satisfies readonly Exclude<
  HealthResult['kind'],
  'health'
>[];

/** Node's default metrics that describe the whole process, not the thread that reads them. */
const PROCESS_WIDE = /^(process_|nodejs_version_info$)/;

/** From 0.1 ms, doubling: the defaults start at 5 ms and would hide everything this system does. */
export const LATENCY_BUCKETS = Array.from({ length: 16 }, (_, i) => 0.0001 * 2 ** i);

export class Metrics {
  readonly registry = new Registry();
  // Every metric is declared where it is named: the list below is the catalogue /metrics serves.
  // Four keep the names the contract gave them (issue 6): payment_requests_total, payment_duration_seconds,
  // active_connections and health_check_failures_total; every other name starts with `rinha_`.

  // The front end (HTTP thread): what clients asked of POST /payments and how it was answered.
  readonly paymentRequests: Counter<'outcome'> = new Counter({
    name: 'payment_requests_total',
    help: 'POST /payments answered, by outcome: accepted (202), rejected_input (400), refused (503: no store).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly paymentDuration: Histogram = new Histogram({
    name: 'payment_duration_seconds',
    help: 'Time to answer POST /payments, from its request to its answer.',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly activeConnections: Gauge = new Gauge({
    name: 'active_connections',
    help: 'Client requests in progress at the front end (uWS does not report idle client connections).',
    registers: [this.registry],
  });

  // The processors (core thread): calls, their time, their connections, their health and breakers.
  readonly processorRequests: Counter<'processor' | 'outcome'> = new Counter({
    name: 'rinha_processor_requests_total',
    help:
      'Payments handed to each processor (outcome sent), then what its answer said: recorded, duplicate, ' +
      'rejected, unknown.',
    labelNames: ['processor', 'outcome'],
    registers: [this.registry],
  });
  readonly processorDuration: Histogram<'processor'> = new Histogram({
    name: 'rinha_processor_request_duration_seconds',
    help: 'Time of each call to a processor, from send to answer (or time-out).',
    labelNames: ['processor'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly processorConnections: Gauge<'processor'> = new Gauge({
    name: 'rinha_processor_open_connections',
    help: 'Open connections to each processor.',
    labelNames: ['processor'],
    registers: [this.registry],
  });
  readonly healthCheckFailures: Counter<'processor' | 'reason'> = new Counter({
    name: 'health_check_failures_total',
    help: 'Health checks that gave no health (rate-limited or unreachable).',
    labelNames: ['processor', 'reason'],
    registers: [this.registry],
  });
  readonly breakerState: Gauge<'processor'> = new Gauge({
    name: 'rinha_processor_breaker_state',
    help: 'Circuit breaker per processor: 0 closed, 1 half-open, 2 open.',
    labelNames: ['processor'],
    registers: [this.registry],
  });

  // The payments this instance holds (core thread).
  readonly waiting: Gauge = new Gauge({
    name: 'rinha_payments_waiting',
    help: 'Payments waiting in the supervisor for a processor.',
    registers: [this.registry],
  });
  readonly inFlight: Gauge<'processor'> = new Gauge({
    name: 'rinha_payments_in_flight',
    help: 'Payments sent to a processor and not yet settled.',
    labelNames: ['processor'],
    registers: [this.registry],
  });
  readonly notDurable: Gauge = new Gauge({
    name: 'rinha_payments_not_durable',
    help:
      'Payments answered 202 whose claim in Redis has not landed yet (held in memory; capped by ' + 'MAX_NOT_DURABLE).',
    registers: [this.registry],
  });
  readonly held: Gauge = new Gauge({
    name: 'rinha_payments_held',
    help:
      'Payments this instance holds in memory between their claim and their row in Postgres (capped by MAX_HELD: ' +
      'at the cap, new payments get 503 and take-overs wait in Redis).',
    registers: [this.registry],
  });

  // The claim store (Redis), as this instance sees it (core thread).
  readonly claimFailures: Counter<'reason'> = new Counter({
    name: 'rinha_claim_failures_total',
    help:
      'Claims in Redis that failed, by reason: full (maxmemory), down, read-only, unreplicated (fewer ' +
      'replicas than REDIS_MIN_REPLICAS confirmed), dedupe-lost.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly claimStoreMemoryUsed: Gauge = new Gauge({
    name: 'rinha_claim_store_memory_used_bytes',
    help: "The claim store's (Redis') used_memory, read at each scrape.",
    registers: [this.registry],
  });
  readonly claimStoreMemoryCap: Gauge = new Gauge({
    name: 'rinha_claim_store_memory_cap_bytes',
    help: "The claim store's (Redis') maxmemory (0: no cap), read at each scrape: claims fail once used reaches it.",
    registers: [this.registry],
  });

  // The writers (core thread): rows into Postgres.
  readonly writerBatchRows: Histogram = new Histogram({
    name: 'rinha_writer_batch_rows',
    help: 'Rows per Postgres INSERT.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });
  readonly writerFlushSeconds: Histogram = new Histogram({
    name: 'rinha_writer_flush_seconds',
    help: 'Time of one Postgres INSERT.',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly writerLag: Gauge = new Gauge({
    name: 'rinha_writer_lag_seconds',
    help: 'Age of the oldest recorded payment handed to a writer and not yet in Postgres (0: none waits).',
    registers: [this.registry],
  });

  /**
   * `nodeDefaults`: Node's own metrics (memory, GC, event-loop delay), labelled with the thread they describe,
   * with or without the process-wide ones (`process_*`, `nodejs_version_info`: one thread of a process reports
   * them, or they would show twice); `loopSampleMs`: how often the event-loop delay is sampled.
   */
  constructor(
    instanceId: string,
    nodeDefaults: { thread: string; processWide: boolean } | false = { thread: 'main', processWide: true },
    loopSampleMs = 10,
  ) {
    // Not `instance`: Prometheus gives that label to the target it scrapes (grafana/prometheus.yml).
    this.registry.setDefaultLabels({ instance_id: instanceId });
    this.processWide = nodeDefaults ? nodeDefaults.processWide : true;
    // Each sample is a timer wake-up: at 1 ms, the two threads of an idle instance spent 3 % of a
    // CPU on them (of the 0.45 it has). Sampling less often misses short delays, not long ones.
    if (nodeDefaults)
      collectDefaultMetrics({
        register: this.registry,
        eventLoopMonitoringPrecision: loopSampleMs,
        labels: { thread: nodeDefaults.thread },
      });
  }

  private readonly processWide: boolean;

  /** Every metric as prom-client JSON (to merge with the other thread's), without process-wide ones if so told. */
  async json(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    const all = await this.registry.getMetricsAsJSON();
    return this.processWide ? all : all.filter((m) => !PROCESS_WIDE.test(m.name));
  }

  /**
   * Creates every series of known labels that this part of an instance fills, at 0, so that dashboards and
   * rate() see them from start-up instead of "no data" until the first payment or failure.
   */
  startAtZero(part: 'front-end' | 'core'): void {
    if (part === 'front-end') {
      for (const outcome of INTAKE_OUTCOMES) this.paymentRequests.inc({ outcome }, 0);
      return;
    }
    for (const processor of PROCESSOR_NAMES) {
      for (const outcome of PROCESSOR_OUTCOMES) this.processorRequests.inc({ processor, outcome }, 0);
      for (const reason of HEALTH_FAILURE_REASONS) this.healthCheckFailures.inc({ processor, reason }, 0);
      this.processorDuration.zero({ processor });
      this.breakerState.set({ processor }, 0);
      this.inFlight.set({ processor }, 0);
      this.processorConnections.set({ processor }, 0);
    }
    for (const reason of CLAIM_FAILURE_REASONS) this.claimFailures.inc({ reason }, 0);
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
