// The core's actors: the supervisor, one actor per processor and the batching writers,
// wired to the stores, the processor clients, the intake gate and the metrics.
import { startActorSystem, tell, type ActorParent, type ActorRef, type ActorSystem } from '../actors/kit/actor';
import { spawnProcessorActor } from '../actors/processor/processor-actor';
import type { AssignmentLedger, AvailabilityReport, SettledReport } from '../actors/processor/protocol';
import { spawnSupervisor } from '../actors/supervisor/payment-supervisor';
import type { SupervisorMsg, SupervisorOptions } from '../actors/supervisor/protocol';
import { spawnBatchWriter } from '../actors/writer/batch-writer';
import type { Config } from '../shared/config';
import type { Logger } from '../shared/log';
import type { Metrics } from '../shared/metrics';
import type { ProcessorName } from '../domain/payment';
import type { ProcessorClient } from '../gateway/processor-client';
import type { DedupeGuard } from '../cluster/dedupe-guard';
import { DedupeLostError } from '../store/pending-errors';
import type { CoreStores } from './core-stores';
import type { IntakeGate } from './intake-gate';
import { refusalOf } from './intake-gate';
import type { CoreEvents } from './core-protocol';

export interface ActorWiring {
  config: Config;
  log: Logger;
  stores: CoreStores;
  clients: Record<ProcessorName, ProcessorClient>;
  metrics: Metrics;
  gate: IntakeGate;
  events: CoreEvents;
  /** The dedupe guard, once it exists: a write refused for a lost dedupe memory starts its rebuild. */
  guard: () => DedupeGuard | undefined;
}

/** The stores as the actors see them: a write refused because Redis lost the dedupe memory starts a rebuild. */
function ledgers({ stores, guard, log }: ActorWiring) {
  const { pending, table } = stores;
  const rebuildIfLost = (err: unknown): never => {
    if (err instanceof DedupeLostError)
      guard()
        ?.ensure()
        .catch((e: unknown) => log.warn('dedupe-rebuild-failed', { err: e }));
    throw err;
  };
  const assignments: AssignmentLedger = {
    assign: (payments) => pending.assign(payments).catch(rebuildIfLost),
    stillOwned: (ids) => pending.stillOwned(ids),
  };
  const intake: SupervisorOptions['ledger'] = {
    claimFresh: (payments) => pending.claimFresh(payments).catch(rebuildIfLost),
  };
  const history: SupervisorOptions['history'] = {
    recordedAmong: async (payments) => {
      const found = await table.recordedAmong(payments.map((p) => p.correlationId));
      // Done already: nothing for Redis to keep (a failure here leaves an entry recovery looks up again).
      await pending.complete([...found]);
      return found;
    },
  };
  return { assignments, intake, history };
}

function processorActor(
  w: ActorWiring,
  parent: ActorParent,
  processor: ProcessorName,
  ledger: AssignmentLedger,
  supervisor: ActorRef<SupervisorMsg>,
) {
  const { config, metrics } = w;
  const client = w.clients[processor];
  return spawnProcessorActor(parent, {
    processor,
    gateway: {
      pay: (body) =>
        client.pay(body).then((attempt) => {
          metrics.processorDuration.observe({ processor }, attempt.latencyMs / 1000);
          metrics.processorRequests.inc({ processor, outcome: attempt.outcome });
          return attempt;
        }),
      lookup: (id) => client.lookup(id),
    },
    ledger,
    report: (r: SettledReport) => tell(supervisor, r),
    reportAvailability: (r: AvailabilityReport) => tell(supervisor, r),
    logRepeatMs: config.logRepeatMs,
    failureThreshold: config.breakerFailureThreshold,
    cooldownMs: config.breakerCooldownMs,
    horizonMs: config.consistencyHorizonMs,
    slowMarginMs: config.slowMarginMs,
    // Past a time-out plus the same again, no earlier attempt can still be in the processor's hands.
    settleMs: 2 * config.processorTimeoutMs,
    pinnedRetryMs: 1000,
    watchMs: 100,
    log: w.log,
  });
}

function batchWriter(
  { config, stores, metrics, log }: ActorWiring,
  parent: ActorParent,
  i: number,
  supervisor: ActorRef<SupervisorMsg>,
) {
  return spawnBatchWriter(parent, {
    name: `writer-${i}`,
    sink: stores.table,
    pending: stores.pending,
    batchSize: config.writerBatchSize,
    flushMs: config.writerFlushMs,
    retryMs: 500,
    logRepeatMs: config.logRepeatMs,
    log,
    onFlush: (rows, seconds) => {
      metrics.writerBatchRows.observe(rows);
      metrics.writerFlushSeconds.observe(seconds);
    },
    onWritten: (correlationIds) => tell(supervisor, { type: 'written', correlationIds }),
  });
}

/** What the supervisor tells the intake gate, the metrics and the front end. */
function supervisorHooks({ metrics, gate, events }: ActorWiring): Partial<SupervisorOptions> {
  return {
    onRouted: (processor, count) => metrics.processorRequests.inc({ processor, outcome: 'sent' }, count),
    onClaimLanded: () => gate.writeLanded(),
    onClaimFailed: (err) => {
      metrics.claimFailures.inc({ reason: refusalOf(err) ?? 'dedupe-lost' });
      gate.writeFailed(err);
    },
    onNotDurable: (count) => {
      metrics.notDurable.set(count);
      gate.notDurable(count);
    },
    onHeld: (count) => {
      metrics.held.set(count);
      gate.held(count);
    },
    onBatchSettled: (batch, durable) => events.onBatchSettled?.(batch, durable),
  };
}

export function spawnPaymentActors(w: ActorWiring): { system: ActorSystem; supervisor: ActorRef<SupervisorMsg> } {
  const { config, log } = w;
  const system = startActorSystem(`payments-${config.instanceId}`);
  const { assignments, intake, history } = ledgers(w);
  const supervisor = spawnSupervisor(system, {
    ledger: intake,
    history,
    maxInFlight: config.processorMaxInFlight,
    sendRatePerS: config.processorSendRate,
    defaultWaitMs: config.defaultWaitMs,
    tickMs: 20,
    claimRetryMs: 200,
    lookupGatherMs: config.lookupBatchMs,
    logRepeatMs: config.logRepeatMs,
    log,
    ...supervisorHooks(w),
    spawnChildren: (self) => {
      const processor = (name: ProcessorName) => processorActor(w, self, name, assignments, self);
      const writer = (i: number) => batchWriter(w, self, i, self);
      return {
        processors: { default: processor('default'), fallback: processor('fallback') },
        writers: Array.from({ length: Math.max(1, config.writerCount) }, (_, i) => writer(i)),
      };
    },
  });
  return { system, supervisor };
}
