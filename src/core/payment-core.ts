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
import { DedupeGuard } from '../store/dedupe-guard';
import { DedupeLostError, PendingPayments, type PendingPayment } from '../store/pending-payments';
import { PaymentsTable, type SummaryWindow } from '../store/payments-table';
import { SummaryBarrier } from '../summary-barrier';
import { warmUpCore } from './warm-up';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** What the HTTP front end needs of the core, whether it runs in this thread or another. */
export interface PaymentCore {
  /** Payments already answered 202, in the order they were accepted. */
  accept: (payments: PendingPayment[]) => void;
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

const BREAKER_GAUGE = { closed: 0, 'half-open': 1, open: 2 } as const;

export async function startPaymentCore(config: Config, log: Logger): Promise<PaymentCore> {
  // Postgres first: if it cannot be reached, nothing else has been opened that would keep the process alive.
  const table = PaymentsTable.connect(config.databaseUrl, config.databaseSchema, config.databasePoolSize);
  await table.migrate().catch(async (err) => {
    await table.close();
    throw err;
  });
  const redisOptions = { maxRetriesPerRequest: 2, lazyConnect: false, enableAutoPipelining: true };
  const redis = new Redis(config.redisUrl, redisOptions);
  const subscriber = new Redis(config.redisUrl, { ...redisOptions, enableAutoPipelining: false });
  for (const r of [redis, subscriber]) r.on('error', (err) => log.debug('redis-error', { err }));
  const pending = new PendingPayments(redis, config.redisPrefix, config.instanceId);
  const metrics = new Metrics(config.instanceId, { thread: 'core' }, config.eventLoopSampleMs);
  metrics.startAtZero('core');
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
  // A claim refused because Redis lost the dedupe memory starts its rebuild (the claim is retried meanwhile).
  let guard: DedupeGuard | undefined;
  const ledger: IntakeLedger = {
    claimFresh: (payments) =>
      pending.claimFresh(payments).catch((err: unknown) => {
        if (err instanceof DedupeLostError)
          guard?.ensure().catch((e: unknown) => log.warn('dedupe-rebuild-failed', { err: e }));
        throw err;
      }),
  };
  const supervisor = spawnSupervisor(system, {
    ledger,
    maxInFlight: config.processorMaxInFlight,
    sendRatePerS: config.processorSendRate,
    defaultWaitMs: config.defaultWaitMs,
    tickMs: 20,
    claimRetryMs: 200,
    log,
    onRouted: (processor, count) => metrics.paymentRequests.inc({ processor, outcome: 'sent' }, count),
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
          ledger: pending,
          report,
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
    recordedIds: () => table.allIds(),
    held: () => ask<PendingPayment[]>(supervisor, (replyTo) => ({ type: 'held', replyTo }), 2000),
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
  });
  health.start();

  // Heartbeat, and recovery of what dead instances (or this one's previous life) left pending.
  const heartbeatTtl = 3 * config.heartbeatMs;
  await pending.heartbeat(heartbeatTtl);
  const leftovers = await pending.owned();
  if (leftovers.length > 0) tell(supervisor, { type: 'recovered', payments: leftovers });
  let sweeping = false;
  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      await pending.heartbeat(heartbeatTtl);
      const orphans = await pending.claimOrphans();
      if (orphans.length > 0) tell(supervisor, { type: 'recovered', payments: orphans });
    } catch (err) {
      log.warn('heartbeat-failed', { err });
    } finally {
      sweeping = false;
    }
  };
  const heartbeat = setInterval(() => void sweep(), config.heartbeatMs);
  heartbeat.unref();

  let closed = false;
  return {
    accept: (payments) => tell(supervisor, { type: 'accepted', payments }),
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
      for (;;) {
        const s = await inspect().catch(() => null);
        // Claims still on their way to Redis count too: those payments are about to be sent.
        if (!s || s.claiming + s.inFlight.default + s.inFlight.fallback === 0 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 50));
      }
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
