// Builds one instance: the HTTP front end in this thread, the payment core (actors,
// processors, Redis, Postgres) in a worker thread of its own, and takes them down in
// order on shutdown.
//
//   POST /payments -> 202, PaymentIntake -> (core thread) supervisor -> processor-default | processor-fallback
//                                                                    -> writer-0..n -> Postgres
import { join } from 'node:path';
import type { SupervisorSnapshot } from './actors/payment-supervisor';
import type { Config } from './config';
import { startCoreThread } from './core/core-thread';
import { startCpuProfile } from './core/cpu-profile';
import type { CoreEvents, PaymentCore } from './core/payment-core';
import { inspectPage } from './http/inspect-page';
import { startHttpServer, type RunningHttpServer } from './http/server';
import { warmUpParsing } from './http/warm-up';
import { PaymentIntake } from './intake';
import { createLogger, type Logger } from './log';
import { mergeMetrics, Metrics } from './metrics';

export interface RunningApp {
  config: Config;
  /** TCP port of the HTTP front end (0 when on a Unix socket). */
  port: number;
  inspect(): Promise<SupervisorSnapshot>;
  /** Stops accepting, lets in-flight payments settle, flushes the writers, then closes everything. */
  close(): Promise<void>;
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
  const events: CoreEvents = {
    onRefusal: (reason) => (refusal = reason),
    onBatchSettled: (batch, durable) => intake?.settled(batch, durable),
  };
  const core: PaymentCore = config.coreThread
    ? await startCoreThread(
        config,
        (err) => {
          // Nothing would process this instance's payments any more: die, so that it is
          // restarted and the other instance claims what it left pending.
          log.error('core-thread-died', { err });
          process.exit(1);
        },
        events,
      )
    : // Loaded only here: with the core in its own thread, this thread never loads ioredis, pg, nact or undici.
      await (await import('./core/payment-core')).startPaymentCore(config, log, events);
  const metrics = new Metrics(config.instanceId, { thread: 'main' }, config.eventLoopSampleMs);
  metrics.startAtZero('front-end');
  intake = new PaymentIntake(core.accept, config.intakeFlushMs);
  const payments = intake;

  warmUpParsing(config.warmUpRounds);

  let accepting = true;
  const startedAt = new Date().toISOString();
  // (The metrics closure below reads `http`; it only runs once the server listens.)
  const http: RunningHttpServer = await startHttpServer(
    {
      acceptPayment: (payment) => {
        const accepted = () => metrics.paymentRequests.inc({ processor: 'none', outcome: 'accepted' });
        if (!config.ackWhenDurable) {
          accepted();
          return payments.accept(payment);
        }
        return new Promise<boolean>((answer) =>
          payments.accept(payment, (durable) => {
            if (durable) accepted();
            answer(durable);
          }),
        );
      },
      refusal: () => refusal,
      summary: (window) => {
        payments.flush();
        return core.summary(window);
      },
      // The payments still in this thread's intake batch go to the core first, so the purge takes them too.
      purge: () => {
        payments.flush();
        return core.purge();
      },
      health: () => ({
        status: accepting ? 'ok' : 'shutting-down',
        instance: config.instanceId,
        startedAt,
        time: new Date().toISOString(),
      }),
      metrics: async () => {
        metrics.activeConnections.set({ peer: 'clients' }, Math.max(0, http.inProgress() - 1));
        return mergeMetrics([await metrics.registry.getMetricsAsJSON(), await core.metrics()]);
      },
      inspect: async () => ({
        instance: config.instanceId,
        time: new Date().toISOString(),
        supervisor: await core.inspect(),
      }),
      inspectPage,
      accepting: () => accepting,
      onRequestTimed: (route, seconds) =>
        metrics.paymentDuration.observe({ stage: 'answer', processor: 'none' }, seconds),
      onPaymentRejected: () => metrics.paymentRequests.inc({ processor: 'none', outcome: 'rejected_input' }),
      onPaymentRefused: () => metrics.paymentRequests.inc({ processor: 'none', outcome: 'refused' }),
    },
    {
      port: config.port,
      socketPath: config.socketPath,
      maxBodyBytes: config.maxBodyBytes,
      instanceId: config.instanceId,
      adminToken: config.adminToken,
    },
  );
  log.info('listening', {
    port: http.port,
    socket: config.socketPath || undefined,
    coreThread: config.coreThread,
    defaultUrl: config.defaultUrl,
    fallbackUrl: config.fallbackUrl,
  });

  const close = async () => {
    if (!accepting) return;
    accepting = false;
    http.close();
    payments.flush();
    await core.close();
    await profile?.stop();
    log.info('stopped', {});
  };

  return { config, port: http.port, inspect: () => core.inspect(), close };
}
