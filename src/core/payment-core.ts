// The payment core of one instance: stores, actors, health checks and the summary
// barrier; everything but the HTTP front end. It runs in a worker thread of its own
// (core-thread.ts), so its I/O and garbage collection never hold up an answer.
//
//   accept() -> supervisor -> processor-default | processor-fallback
//                          -> writer-0..n -> Postgres
import { stopActorSystem, tell, type ActorRef, type ActorSystem } from '../actors/kit/actor';
import type { SupervisorMsg, SupervisorSnapshot } from '../actors/supervisor/protocol';
import type { Config } from '../shared/config';
import { HealthMonitor } from '../cluster/health-monitor';
import type { Logger } from '../shared/log';
import { Metrics } from '../shared/metrics';
import type { ProcessorName } from '../domain/payment';
import { ProcessorClient } from '../gateway/processor-client';
import { DedupeGuard } from '../cluster/dedupe-guard';
import type { PendingPayment } from '../domain/pending-payment';
import { SummaryBarrier } from '../cluster/summary-barrier';
import { spawnPaymentActors, type ActorWiring } from './core-actors';
import type { CoreEvents, MetricsJson, PaymentCore } from './core-protocol';
import { openStores, type CoreStores } from './core-stores';
import { startHeartbeat } from '../cluster/heartbeat';
import { startStatusPublishing } from './status-publisher';
import { within } from '../shared/within';
import { IntakeGate } from './intake-gate';
import { warmUpCore } from './warm-up';

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

function processorClients(config: Config): Record<ProcessorName, ProcessorClient> {
  const options = { connections: config.processorConnections, timeoutMs: config.processorTimeoutMs };
  return {
    default: new ProcessorClient(config.defaultUrl, options),
    fallback: new ProcessorClient(config.fallbackUrl, options),
  };
}

/** Refuses new payments (503) while Redis refuses writes or too many acknowledged ones are not durable yet. */
function openIntakeGate(config: Config, stores: CoreStores, log: Logger, events: CoreEvents): IntakeGate {
  const { redis, pending } = stores;
  const gate = new IntakeGate({
    // A write as a claim makes it: taken by the primary, and confirmed by REDIS_MIN_REPLICAS replicas.
    probe: async () => {
      await redis.set(`${config.redisPrefix}write-probe:${config.instanceId}`, '1', 'PX', 10_000);
      await pending.replicated();
    },
    probeMs: 200,
    maxNotDurable: config.maxNotDurable,
    maxHeld: config.maxHeld,
    onChange: (reason) => {
      if (reason) log.warn('intake-refusing', { reason });
      else log.info('intake-open', {});
      events.onRefusal?.(reason);
    },
  });
  // The moment the connection drops, new payments are refused (a claim would wait for the reconnection).
  redis.on('close', () => gate.writeFailed(new Error('connection closed')));
  return gate;
}

async function warmUp(
  config: Config,
  stores: CoreStores,
  clients: Record<ProcessorName, ProcessorClient>,
  log: Logger,
) {
  if (config.warmUpRounds <= 0) return;
  const started = Date.now();
  await warmUpCore({
    redis: stores.redis,
    prefix: config.redisPrefix,
    instanceId: config.instanceId,
    clients,
    table: stores.table,
    rounds: config.warmUpRounds,
  }).catch((err) => log.warn('warm-up-failed', { err }));
  log.info('warmed-up', { ms: Date.now() - started });
}

/** The parts that need the supervisor: the summary barrier, the dedupe guard and the health monitor. */
async function startCoordination(
  w: ActorWiring,
  supervisor: ActorRef<SupervisorMsg>,
  flushLocal: () => Promise<boolean>,
) {
  const { config, log, stores, metrics } = w;
  const { redis, subscriber, pending, table } = stores;
  const common = { redis, subscriber, prefix: config.redisPrefix, instanceId: config.instanceId, log };
  const barrier = new SummaryBarrier({ ...common, timeoutMs: config.summaryBarrierMs, flushLocal });
  await barrier.start();
  const guard = new DedupeGuard({
    ...common,
    pending,
    // The window, with a slice's margin for clocks that differ between hosts.
    recordedIds: () => table.recordedSince(new Date(Date.now() - config.dedupeWindowMs * 1.25)),
    // Writers first: a payment recorded and not yet written would be neither held nor in the table.
    held: async () => {
      await flushLocal().catch(() => false);
      return ask<PendingPayment[]>(supervisor, (replyTo) => ({ type: 'held', replyTo }), 2000);
    },
    timeoutMs: config.dedupeRebuildMs,
  });
  await guard.start();
  const health = new HealthMonitor({
    redis,
    prefix: config.redisPrefix,
    instanceId: config.instanceId,
    intervalMs: config.healthIntervalMs,
    pollMs: Math.min(500, config.healthIntervalMs),
    processors: w.clients,
    onHealth: (processor, h) => tell(supervisor, { type: 'health', processor, health: h }),
    onCheckFailed: (processor, reason) => metrics.healthCheckFailures.inc({ processor, reason }),
    log,
    logRepeatMs: config.logRepeatMs,
  });
  health.start();
  return { barrier, guard, health };
}

export async function startPaymentCore(config: Config, log: Logger, events: CoreEvents = {}): Promise<PaymentCore> {
  const stores = await openStores(config, log);
  // The process-wide ones come from the front end's registry (with CORE_THREAD=false, both describe one thread).
  const metrics = new Metrics(config.instanceId, { thread: 'core', processWide: false }, config.eventLoopSampleMs);
  metrics.startAtZero('core');
  const gate = openIntakeGate(config, stores, log, events);
  const clients = processorClients(config);
  await warmUp(config, stores, clients, log);
  let guard: DedupeGuard | undefined;
  const wiring: ActorWiring = { config, log, stores, clients, metrics, gate, events, guard: () => guard };
  const { system, supervisor } = spawnPaymentActors(wiring);
  const flushLocal = () => ask<boolean>(supervisor, (replyTo) => ({ type: 'flush', replyTo }), 5000);
  const coordination = await startCoordination(wiring, supervisor, flushLocal);
  guard = coordination.guard;
  const stopHeartbeat = await startHeartbeat(config, stores.pending, supervisor, log, () => gate.room);
  return coreApi({ ...wiring, system, supervisor, flushLocal, coordination, stopHeartbeat });
}

interface RunningCore extends ActorWiring {
  system: ActorSystem;
  supervisor: ActorRef<SupervisorMsg>;
  flushLocal: () => Promise<boolean>;
  coordination: Awaited<ReturnType<typeof startCoordination>>;
  stopHeartbeat: () => void;
}

/**
 * How long a scrape waits for Redis' memory figures: past it, the gauges keep their last reading, so a Redis
 * that takes commands and answers late does not take /metrics (and the alerts that say so) down with it.
 */
const MEMORY_READ_MS = 250;

/** The core's gauges refreshed from a snapshot, then every metric as JSON. */
async function coreMetrics(c: RunningCore, snapshot: SupervisorSnapshot): Promise<MetricsJson> {
  const { metrics, clients } = c;
  metrics.waiting.set(snapshot.waiting);
  metrics.writerLag.set(snapshot.oldestUnwrittenMs / 1000);
  const memory = await within(c.stores.pending.memory(), MEMORY_READ_MS);
  if (memory) {
    metrics.claimStoreMemoryUsed.set(memory.used);
    metrics.claimStoreMemoryCap.set(memory.max);
  }
  for (const p of snapshot.processors) {
    metrics.processorConnections.set({ processor: p.processor }, clients[p.processor].openConnections);
    metrics.inFlight.set({ processor: p.processor }, p.inFlight);
    metrics.breakerState.set({ processor: p.processor }, BREAKER_GAUGE[p.breaker.state]);
  }
  return metrics.json();
}

/** Lets what is in flight settle (bounded by a processor time-out), so that little is left for another instance. */
async function settleInFlight(c: RunningCore, inspect: () => Promise<SupervisorSnapshot>): Promise<void> {
  const deadline = Date.now() + c.config.processorTimeoutMs;
  let last: SupervisorSnapshot | null;
  for (;;) {
    last = await inspect().catch(() => null);
    // Claims still on their way to Redis count too (acknowledged, not yet durable), and look-ups.
    const busy = last ? last.claiming + last.checking + last.inFlight.default + last.inFlight.fallback : 0;
    if (busy === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // Acknowledged payments Redis never took (it refused writes until now): said once, with how many.
  if (last && last.claiming > 0) c.log.error('not-durable-at-stop', { count: last.claiming });
}

async function closeCore(c: RunningCore, inspect: () => Promise<SupervisorSnapshot>): Promise<void> {
  const { config, stores, clients } = c;
  await settleInFlight(c, inspect);
  c.gate.stop();
  await c.flushLocal().catch(() => false);
  c.stopHeartbeat();
  c.coordination.health.stop();
  await ask<void>(c.supervisor, (replyTo) => ({ type: 'stop', replyTo }), 2000).catch(() => undefined);
  // Whatever is still pending (waiting payments) is handed over: dropping the heartbeat
  // lets a live instance claim it at once.
  await stores.redis.del(`${config.redisPrefix}alive:${config.instanceId}`).catch(() => undefined);
  stopActorSystem(c.system);
  await Promise.allSettled([stores.table.close(), clients.default.close(), clients.fallback.close()]);
  stores.redis.disconnect();
  stores.subscriber.disconnect();
  stores.beat.disconnect();
}

function coreApi(c: RunningCore): PaymentCore {
  const { supervisor, stores } = c;
  const inspect = () => ask<SupervisorSnapshot>(supervisor, (replyTo) => ({ type: 'inspect', replyTo }), 2000);
  const publishing = startStatusPublishing(c.config, stores, c.gate, inspect);
  let closed = false;
  return {
    accept: (payments, batch) => tell(supervisor, { type: 'accepted', payments, batch }),
    summary: async (window) => {
      await c.coordination.barrier.flushAll();
      return stores.table.summary(window);
    },
    purge: async () => {
      await ask<void>(supervisor, (replyTo) => ({ type: 'purge', replyTo }), 2000);
      await Promise.all([stores.table.purge(), stores.pending.purge()]);
    },
    inspect,
    cluster: () => publishing.cluster(),
    metrics: async () => coreMetrics(c, await inspect()),
    close: async () => {
      if (closed) return;
      closed = true;
      publishing.stop();
      await closeCore(c, inspect);
    },
  };
}
