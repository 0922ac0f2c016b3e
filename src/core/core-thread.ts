// The payment core, run in a worker thread and driven from the front end's thread.
// The front end's event loop then does nothing but HTTP: processor calls, Redis,
// Postgres, actors and their garbage collection all happen on the other thread,
// so they cannot delay an answer (the p99 target is 1 ms).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config';
import type { SummaryWindow } from '../store/payments-table';
import type { CoreMethod, FromCore, ToCore } from './core-protocol';
import type { CoreEvents, PaymentCore } from './payment-core';

// Always the built file: under tap the sources run as .ts through a compiler that
// would need more heap than the core thread is given (`npm test` builds first).
const WORKER_FILE = __filename.endsWith('.ts')
  ? join(__dirname, '..', '..', 'dist', 'src', 'core', 'core-worker.js')
  : join(__dirname, 'core-worker.js');

interface Waiter {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/**
 * Starts the core's thread and resolves once the core is up. `onDied` is called if the
 * thread stops on its own (a crash): the instance can no longer process payments.
 */
export function startCoreThread(
  config: Config,
  onDied: (err: Error) => void,
  events: CoreEvents = {},
): Promise<PaymentCore> {
  const worker = new Worker(WORKER_FILE, {
    workerData: config,
    // Plain Node: no loaders or hooks of the parent (test tooling) in the core thread.
    execArgv: [],
    resourceLimits: {
      maxOldGenerationSizeMb: config.coreOldSpaceMb,
      maxYoungGenerationSizeMb: config.coreYoungSpaceMb,
    },
  });
  const waiting = new Map<number, Waiter>();
  let nextId = 0;
  let closing = false;
  const post = (m: ToCore) => worker.postMessage(m);
  const call = <T>(method: CoreMethod, arg?: unknown) =>
    new Promise<T>((resolve, reject) => {
      const id = ++nextId;
      waiting.set(id, { resolve: resolve, reject });
      post({ type: 'call', id, method, arg });
    });

  return new Promise((resolve, reject) => {
    let started = false;
    worker.on('message', (m: FromCore) => {
      switch (m.type) {
        case 'ready':
          started = true;
          return resolve(core);
        case 'start-failed':
          void worker.terminate();
          return reject(new Error(m.message));
        case 'reply': {
          const w = waiting.get(m.id);
          waiting.delete(m.id);
          if (m.ok) w?.resolve(m.value);
          else w?.reject(new Error(m.message));
          return;
        }
        case 'refusal':
          return events.onRefusal?.(m.reason);
        case 'batch-settled':
          return events.onBatchSettled?.(m.batch, m.durable);
      }
    });
    let dead = false;
    const died = (err: Error) => {
      if (dead) return;
      dead = true;
      for (const w of waiting.values()) w.reject(err);
      waiting.clear();
      if (!started) reject(err);
      else if (!closing) onDied(err);
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`core thread exited (code ${code})`)));

    let closed: Promise<void> | undefined;
    const close = async () => {
      closing = true;
      try {
        await call('close');
      } finally {
        await worker.terminate();
      }
    };
    const core: PaymentCore = {
      accept: (payments, batch) => post({ type: 'accept', payments, batch }),
      summary: (window: SummaryWindow) => call('summary', window),
      purge: () => call('purge'),
      inspect: () => call('inspect'),
      metrics: () => call('metrics'),
      close: () => (closed ??= close()),
    };
  });
}
