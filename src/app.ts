// Builds one instance: the HTTP front end in this thread, the payment core (actors,
// processors, Redis, Postgres) in a worker thread of its own, and takes them down in
// order on shutdown.
//
//   POST /payments -> 202, PaymentIntake -> (core thread) supervisor -> processor-default | processor-fallback
//                                                                    -> writer-0..n -> Postgres
import { join } from 'node:path';
import type { SupervisorSnapshot } from './actors/supervisor/protocol';
import type { Config } from './shared/config';
import { startCoreThread } from './http/core-thread';
import { startCpuProfile } from './shared/cpu-profile';
import type { CoreEvents, PaymentCore } from './core/core-protocol';
import { clusterPage } from './http/cluster-page';
import { inspectPage } from './http/inspect-page';
import type { HttpServices, RunningHttpServer } from './http/http-api';
import { startHttpServer } from './http/server';
import { warmUpParsing } from './http/warm-up';
import { PaymentIntake } from './http/intake';
import { createLogger, type Logger } from './shared/log';
import { mergeMetrics, Metrics } from './shared/metrics';
import type { PaymentRequest } from './domain/payment';

export interface RunningApp {
  config: Config;
  /** TCP port of the HTTP front end (0 when on a Unix socket). */
  port: number;
  inspect(): Promise<SupervisorSnapshot>;
  /** Stops accepting, lets in-flight payments settle, flushes the writers, then closes everything. */
  close(): Promise<void>;
}

/** The payment core, in a worker thread of its own (CORE_THREAD) or in this one. */
async function startCore(config: Config, log: Logger, events: CoreEvents): Promise<PaymentCore> {
  if (!config.coreThread)
    // Loaded only here: with the core in its own thread, this thread never loads ioredis, pg, nact or undici.
    return (await import('./core/payment-core')).startPaymentCore(config, log, events);
  return startCoreThread(
    config,
    (err) => {
      // Nothing would process this instance's payments any more: die, so that it is
      // restarted and the other instance claims what it left pending.
      log.error('core-thread-died', { err });
      process.exit(1);
    },
    events,
  );
}

/** What the front end's routes call, in this thread; `front` holds what changes while the instance runs. */
interface FrontEnd {
  config: Config;
  core: PaymentCore;
  intake: PaymentIntake;
  metrics: Metrics;
  /** Why new payments cannot be made durable now (the core's word), or null. */
  refusal: () => string | null;
  accepting: boolean;
  startedAt: string;
  http?: RunningHttpServer;
}

/** A valid payment into the intake batch: 202 at once, or (ACK_WHEN_DURABLE) once the core says it is durable. */
function acceptPayment(front: FrontEnd, payment: PaymentRequest): void | Promise<boolean> {
  const accepted = () => front.metrics.paymentRequests.inc({ outcome: 'accepted' });
  if (!front.config.ackWhenDurable) {
    accepted();
    return front.intake.accept(payment);
  }
  return new Promise<boolean>((answer) =>
    front.intake.accept(payment, (durable) => {
      if (durable) accepted();
      answer(durable);
    }),
  );
}

function httpServices(front: FrontEnd): HttpServices {
  const { config, core, intake, metrics } = front;
  return {
    acceptPayment: (payment) => acceptPayment(front, payment),
    refusal: front.refusal,
    summary: (window) => {
      intake.flush();
      return core.summary(window);
    },
    // The payments still in this thread's intake batch go to the core first, so the purge takes them too.
    purge: () => {
      intake.flush();
      return core.purge();
    },
    health: () => ({
      status: front.accepting ? 'ok' : 'shutting-down',
      instance: config.instanceId,
      startedAt: front.startedAt,
      time: new Date().toISOString(),
    }),
    metrics: async () => {
      metrics.activeConnections.set(Math.max(0, (front.http?.inProgress() ?? 1) - 1));
      return mergeMetrics([await metrics.json(), await core.metrics()]);
    },
    inspect: async () => ({
      instance: config.instanceId,
      time: new Date().toISOString(),
      supervisor: await core.inspect(),
    }),
    inspectPage,
    cluster: () => core.cluster(),
    clusterPage,
    accepting: () => front.accepting,
    onRequestTimed: (route, seconds) => metrics.paymentDuration.observe(seconds),
    onPaymentRejected: () => metrics.paymentRequests.inc({ outcome: 'rejected_input' }),
    onPaymentRefused: () => metrics.paymentRequests.inc({ outcome: 'refused' }),
  };
}

export async function startApp(
  config: Config,
  log: Logger = createLogger(config.instanceId, config.logLevel),
): Promise<RunningApp> {
  const profile = config.cpuProfileDir
    ? startCpuProfile(join(config.cpuProfileDir, `${config.instanceId}-http.cpuprofile`))
    : null;
  // The core's word, as it changes: whether new payments can be made durable, and each waiting batch's fate.
  let refusal: string | null = null;
  let intake: PaymentIntake | undefined;
  const core = await startCore(config, log, {
    onRefusal: (reason) => (refusal = reason),
    onBatchSettled: (batch, durable) => intake?.settled(batch, durable),
  });
  const metrics = new Metrics(config.instanceId, { thread: 'main', processWide: true }, config.eventLoopSampleMs);
  metrics.startAtZero('front-end');
  intake = new PaymentIntake(core.accept, config.intakeFlushMs);
  const front: FrontEnd = {
    config,
    core,
    intake,
    metrics,
    refusal: () => refusal,
    accepting: true,
    startedAt: new Date().toISOString(),
  };
  warmUpParsing(config.warmUpRounds);
  const { port, socketPath, maxBodyBytes, instanceId, adminToken, summaryOpenWindowMs } = config;
  const http = await startHttpServer(httpServices(front), {
    port,
    socketPath,
    maxBodyBytes,
    instanceId,
    adminToken,
    summaryOpenWindowMs,
  });
  front.http = http;
  log.info('listening', {
    port: http.port,
    socket: config.socketPath || undefined,
    coreThread: config.coreThread,
    defaultUrl: config.defaultUrl,
    fallbackUrl: config.fallbackUrl,
  });
  const close = async () => {
    if (!front.accepting) return;
    front.accepting = false;
    http.close();
    front.intake.flush();
    await core.close();
    await profile?.stop();
    log.info('stopped', {});
  };
  return { config, port: http.port, inspect: () => core.inspect(), close };
}
