// The payment core of one instance: stores, actors, health checks and the summary
// barrier; everything but the HTTP front end. It runs in a worker thread of its own
// (core-thread.ts), so its I/O and garbage collection never hold up an answer.
//
//   accept() -> supervisor -> processor-default | processor-fallback
//                          -> writer-0..n -> Postgres
import Redis from 'ioredis';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { startActorSystem, stopActorSystem, tell, type ActorRef } from '../actors/actor-system';
import { spawnBatchWriter } from '../actors/batch-writer';
import {
  spawnSupervisor,
  type IntakeLedger,
  type PaymentHistory,
  type SupervisorMsg,
  type SupervisorSnapshot,
} from '../actors/payment-supervisor';
import { spawnProcessorActor } from '../actors/processor-actor';
import type { Config } from '../config';
import { HealthMonitor } from '../health-monitor';
import type { Logger } from '../log';
import { Metrics } from '../metrics';
import type { PaymentsSummary, ProcessorName } from '../payment';
import { ProcessorClient } from '../processor-client';
import { RepeatedWarning } from '../repeated-warning';
import { DedupeGuard } from '../store/dedupe-guard';
import { DedupeLostError, PendingPayments, type PendingPayment } from '../store/pending-payments';
import { untilReachable } from '../store/until-reachable';
import { PaymentsTable, type SummaryWindow } from '../store/payments-table';
import { SummaryBarrier } from '../summary-barrier';
import { IntakeGate, refusalOf, type RefusalReason } from './intake-gate';
import { warmUpCore } from './warm-up';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** What the HTTP front end needs of the core, whether it runs in this thread or another. */
export interface PaymentCore {
  /**
   * Payments in the order they were accepted: already answered 202, or, with `batch` set
   * (ACK_WHEN_DURABLE), waiting for CoreEvents.onBatchSettled(batch) to be answered.
   */
  accept: (payments: PendingPayment[], batch?: number) => void;
  /** Flushes every live instance's writers, then reads Postgres. */
  summary(window: SummaryWindow): Promise<PaymentsSummary>;
  purge(): Promise<void>;
  inspect(): Promise<SupervisorSnapshot>;
  /** The core's metrics (gauges refreshed), as prom-client JSON to merge with the front end's. */
  metrics(): Promise<MetricsJson>;
  /** Lets in-flight payments settle (bounded), flushes the writers, hands the rest over, closes. */
  close(): Promise<void>;
}

function ask<T>(
  supervisor: ActorRef<SupervisorMsg>,
  make: (reply: (v: T) => void) => SupervisorMsg,
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('actor did not answer')), timeoutMs);
    tell(
      supervisor,
      make((v) => {
        clearTimeout(timer);
        resolve(v);
      }),
    );
  });
}

/** What the core tells the front end without being asked. */
export interface CoreEvents {
  /** New payments must be refused (503), and why; null once they are welcome again. */
  onRefusal?(reason: RefusalReason | null): void;
  /** A batch handed over with an id: durable (answer 202) or not (answer 503). */
  onBatchSettled?(batch: number, durable: boolean): void;
}

const BREAKER_GAUGE = { closed: 0, 'half-open': 1, open: 2 } as const;

export async function startPaymentCore(config: Config, log: Logger, events: CoreEvents = {}): Promise<PaymentCore> {
  // Postgres first: if it cannot be reached in time, nothing else has been opened that would keep the process alive.
  const table = PaymentsTable.connect(config.databaseUrl, config.databaseSchema, config.databasePoolSize);
  await untilReachable('postgres', () => table.migrate(), config.storeWaitMs, log).catch(async (err) => {
    await table.close();
    throw err;
  });
  const redisOptions = { maxRetriesPerRequest: 2, lazyConnect: false, enableAutoPipelining: true };
  const redis = new Redis(config.redisUrl, redisOptions);
  // No ready check on the subscriber: ioredis 5.8.2+ may send its INFO after the connection has begun to
  // subscribe, and Redis refuses it there (redis/ioredis#2037); resubscribing needs no check.
  const subscriber = new Redis(config.redisUrl, {
    ...redisOptions,
    enableAutoPipelining: false,
    enableReadyCheck: false,
  });
  for (const r of [redis, subscriber]) r.on('error', (err) => log.debug('redis-error', { err }));
  await untilReachable('redis', () => redis.ping(), config.storeWaitMs, log).catch(async (err) => {
    redis.disconnect();
    subscriber.disconnect();
    await table.close();
    throw err;
  });
  const pending = new PendingPayments(redis, config.redisPrefix, config.instanceId, config.dedupeWindowMs);
  await pending.forgetUnboundedHistory().catch((err) => log.warn('forget-unbounded-history-failed', { err }));
  const metrics = new Metrics(config.instanceId, { thread: 'core' }, config.eventLoopSampleMs);
  metrics.startAtZero('core');
  const gate = new IntakeGate({
    probe: async () => {
      await redis.set(`${config.redisPrefix}write-probe:${config.instanceId}`, '1', 'PX', 10_000);
    },
    probeMs: 200,
    maxNotDurable: config.maxNotDurable,
    onChange: (reason) => {
      if (reason) log.warn('intake-refusing', { reason });
      else log.info('intake-open', {});
      events.onRefusal?.(reason);
    },
  });
  // The moment the connection drops, new payments are refused (a claim would wait for the reconnection).
  redis.on('close', () => gate.writeFailed(new Error('connection closed')));
  const clients: Record<ProcessorName, ProcessorClient> = {
    default: new ProcessorClient(config.defaultUrl, {
      connections: config.processorConnections,
      timeoutMs: config.processorTimeoutMs,
    }),
    fallback: new ProcessorClient(config.fallbackUrl, {
      connections: config.processorConnections,
      timeoutMs: config.processorTimeoutMs,
    }),
  };

  if (config.warmUpRounds > 0) {
    const started = Date.now();
    await warmUpCore({
      redis,
      prefix: config.redisPrefix,
      instanceId: config.instanceId,
      clients,
      table,
      rounds: config.warmUpRounds,
    }).catch((err) => log.warn('warm-up-failed', { err }));
    log.info('warmed-up', { ms: Date.now() - started });
  }

  const system = startActorSystem(`payments-${config.instanceId}`);
  // A claim or an assignment refused because Redis lost the dedupe memory starts its rebuild (retried meanwhile).
  let guard: DedupeGuard | undefined;
  const rebuildIfLost = (err: unknown): never => {
    if (err instanceof DedupeLostError)
      guard?.ensure().catch((e: unknown) => log.warn('dedupe-rebuild-failed', { err: e }));
    throw err;
  };
  const ledger: IntakeLedger = { claimFresh: (payments) => pending.claimFresh(payments).catch(rebuildIfLost) };
  const assignments = { assign: (payments: PendingPayment[]) => pending.assign(payments).catch(rebuildIfLost) };
  const history: PaymentHistory = {
    recordedAmong: async (payments) => {
      const found = await table.recordedAmong(payments.map((p) => p.correlationId));
      // Done already: nothing for Redis to keep (a failure here leaves an entry recovery looks up again).
      await pending.complete([...found]);
      return found;
    },
  };
  const supervisor = spawnSupervisor(system, {
    ledger,
    history,
    maxInFlight: config.processorMaxInFlight,
    sendRatePerS: config.processorSendRate,
    defaultWaitMs: config.defaultWaitMs,
    tickMs: 20,
    claimRetryMs: 200,
    lookupGatherMs: config.lookupBatchMs,
    logRepeatMs: config.logRepeatMs,
    log,
    onRouted: (processor, count) => metrics.paymentRequests.inc({ processor, outcome: 'sent' }, count),
    onClaimLanded: () => gate.writeLanded(),
    onClaimFailed: (err) => {
      metrics.claimFailures.inc({ reason: refusalOf(err) ?? 'dedupe-lost' });
      gate.writeFailed(err);
    },
    onNotDurable: (count) => {
      metrics.notDurable.set(count);
      gate.notDurable(count);
    },
    onBatchSettled: (batch, durable) => events.onBatchSettled?.(batch, durable),
    spawnChildren: (self) => {
      const report = (r: Parameters<typeof tell<SupervisorMsg>>[1]) => tell(self, r);
      const processorActor = (processor: ProcessorName) => {
        const client = clients[processor];
        return spawnProcessorActor(self.nactRef, {
          processor,
          gateway: {
            pay: (body) =>
              client.pay(body).then((attempt) => {
                metrics.paymentDuration.observe({ stage: 'processor', processor }, attempt.latencyMs / 1000);
                metrics.paymentRequests.inc({ processor, outcome: attempt.outcome });
                return attempt;
              }),
            lookup: (id) => client.lookup(id),
          },
          ledger: assignments,
          report,
          logRepeatMs: config.logRepeatMs,
          failureThreshold: config.breakerFailureThreshold,
          cooldownMs: config.breakerCooldownMs,
          horizonMs: config.consistencyHorizonMs,
          slowMarginMs: config.slowMarginMs,
          slowFloorMs: config.slowFloorMs,
          // Past a time-out plus the same again, no earlier attempt can still be in the processor's hands.
          settleMs: 2 * config.processorTimeoutMs,
          pinnedRetryMs: 1000,
          watchMs: 100,
          log,
        });
      };
      return {
        processors: { default: processorActor('default'), fallback: processorActor('fallback') },
        writers: Array.from({ length: Math.max(1, config.writerCount) }, (_, i) =>
          spawnBatchWriter(self.nactRef, {
            name: `writer-${i}`,
            sink: table,
            pending,
            batchSize: config.writerBatchSize,
            flushMs: config.writerFlushMs,
            retryMs: 500,
            logRepeatMs: config.logRepeatMs,
            log,
            onFlush: (rows, seconds) => {
              metrics.writerBatchSize.observe(rows);
              metrics.writerFlushSeconds.observe(seconds);
            },
          }),
        ),
      };
    },
  });
  const flushLocal = () => ask<boolean>(supervisor, (replyTo) => ({ type: 'flush', replyTo }), 5000);
  const inspect = () => ask<SupervisorSnapshot>(supervisor, (replyTo) => ({ type: 'inspect', replyTo }), 2000);

  const barrier = new SummaryBarrier({
    redis,
    subscriber,
    prefix: config.redisPrefix,
    instanceId: config.instanceId,
    timeoutMs: config.summaryBarrierMs,
    flushLocal,
    log,
  });
  await barrier.start();
  guard = new DedupeGuard({
    redis,
    subscriber,
    prefix: config.redisPrefix,
    instanceId: config.instanceId,
    pending,
    // The window, with a slice's margin for clocks that differ between hosts.
    recordedIds: () => table.recordedSince(new Date(Date.now() - config.dedupeWindowMs * 1.25)),
    // Writers first: a payment recorded and not yet written would be neither held nor in the table.
    held: async () => {
      await flushLocal().catch(() => false);
      return ask<PendingPayment[]>(supervisor, (replyTo) => ({ type: 'held', replyTo }), 2000);
    },
    timeoutMs: config.dedupeRebuildMs,
    log,
  });
  await guard.start();

  const health = new HealthMonitor({
    redis,
    prefix: config.redisPrefix,
    instanceId: config.instanceId,
    intervalMs: config.healthIntervalMs,
    pollMs: Math.min(500, config.healthIntervalMs),
    processors: clients,
    onHealth: (processor, h) => tell(supervisor, { type: 'health', processor, health: h }),
    onCheckFailed: (processor, reason) => metrics.healthCheckFailures.inc({ processor, reason }),
    log,
    logRepeatMs: config.logRepeatMs,
  });
  health.start();

  // Heartbeat, and recovery of what dead instances (or this one's previous life) left pending.
  const heartbeatTtl = 3 * config.heartbeatMs;
  await pending.heartbeat(heartbeatTtl);
  const leftovers = await pending.owned();
  if (leftovers.length > 0) tell(supervisor, { type: 'recovered', payments: leftovers });
  let sweeping = false;
  const heartbeatWarning = new RepeatedWarning(log, 'heartbeat-failed', config.logRepeatMs);
  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      await pending.heartbeat(heartbeatTtl);
      const orphans = await pending.claimOrphans();
      if (orphans.length > 0) tell(supervisor, { type: 'recovered', payments: orphans });
      heartbeatWarning.recovered();
    } catch (err) {
      heartbeatWarning.failed({ err });
    } finally {
      sweeping = false;
    }
  };
  const heartbeat = setInterval(() => void sweep(), config.heartbeatMs);
  heartbeat.unref();

  let closed = false;
  return {
    accept: (payments, batch) => tell(supervisor, { type: 'accepted', payments, batch }),
    summary: async (window) => {
      await barrier.flushAll();
      return table.summary(window);
    },
    purge: async () => {
      await ask<void>(supervisor, (replyTo) => ({ type: 'purge', replyTo }), 2000);
      await Promise.all([table.purge(), pending.purge()]);
    },
    inspect,
    metrics: async () => {
      const snapshot = await inspect();
      metrics.waiting.set(snapshot.waiting);
      const memory = await pending.memory().catch(() => null);
      if (memory) {
        metrics.redisMemoryUsed.set(memory.used);
        metrics.redisMemoryMax.set(memory.max);
      }
      for (const p of snapshot.processors) {
        metrics.activeConnections.set({ peer: p.processor }, clients[p.processor].openConnections);
        metrics.inFlight.set({ processor: p.processor }, p.inFlight);
        metrics.breakerState.set({ processor: p.processor }, BREAKER_GAUGE[p.breaker.state]);
      }
      return metrics.registry.getMetricsAsJSON();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      // Let what is in flight settle (bounded), so that little is left for another instance to recover.
      const deadline = Date.now() + config.processorTimeoutMs;
      let last: SupervisorSnapshot | null;
      for (;;) {
        last = await inspect().catch(() => null);
        // Claims still on their way to Redis count too (acknowledged, not yet durable), and look-ups.
        const busy = last ? last.claiming + last.checking + last.inFlight.default + last.inFlight.fallback : 0;
        if (busy === 0 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // Acknowledged payments Redis never took (it refused writes until now): said once, with how many.
      if (last && last.claiming > 0) log.error('not-durable-at-stop', { count: last.claiming });
      gate.stop();
      await flushLocal().catch(() => false);
      clearInterval(heartbeat);
      health.stop();
      await ask<void>(supervisor, (replyTo) => ({ type: 'stop', replyTo }), 2000).catch(() => undefined);
      // Whatever is still pending (waiting payments) is handed over: dropping the heartbeat
      // lets a live instance claim it at once.
      await redis.del(`${config.redisPrefix}alive:${config.instanceId}`).catch(() => undefined);
      stopActorSystem(system);
      await Promise.allSettled([table.close(), clients.default.close(), clients.fallback.close()]);
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}
