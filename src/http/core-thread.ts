// The payment core, run in a worker thread and driven from the front end's thread.
// The front end's event loop then does nothing but HTTP: processor calls, Redis,
// Postgres, actors and their garbage collection all happen on the other thread,
// so they cannot delay an answer (the p99 target is 1 ms).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Config } from '../shared/config';
import type { SummaryWindow } from '../domain/summary-window';
import type { CoreEvents, CoreMethod, FromCore, PaymentCore, ToCore } from '../core/core-protocol';

// Always the built file: under tap the sources run as .ts through a compiler that
// would need more heap than the core thread is given (`npm test` builds first).
const WORKER_FILE = __filename.endsWith('.ts')
  ? join(__dirname, '..', '..', 'dist', 'src', 'core', 'core-worker.js')
  : join(__dirname, '..', 'core', 'core-worker.js');

interface Waiter {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** Calls to the core thread waiting for their reply, by id. Bounded by the calls in progress. */
class PendingCalls {
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 0;

  constructor(private readonly post: (m: ToCore) => void) {}

  call<T>(method: CoreMethod, arg?: unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const id = ++this.nextId;
      this.waiting.set(id, { resolve: resolve, reject });
      this.post({ type: 'call', id, method, arg });
    });
  }

  reply(m: Extract<FromCore, { type: 'reply' }>): void {
    const w = this.waiting.get(m.id);
    this.waiting.delete(m.id);
    if (m.ok) w?.resolve(m.value);
    else w?.reject(new Error(m.message));
  }

  failAll(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}

function spawnWorker(config: Config): Worker {
  return new Worker(WORKER_FILE, {
    workerData: config,
    // Plain Node: no loaders or hooks of the parent (test tooling) in the core thread.
    execArgv: [],
    resourceLimits: {
      maxOldGenerationSizeMb: config.coreOldSpaceMb,
      maxYoungGenerationSizeMb: config.coreYoungSpaceMb,
    },
  });
}

/** The core as the front end sees it: every method a message to the thread. */
function coreOverThread(worker: Worker, calls: PendingCalls, onClose: () => void): PaymentCore {
  let closed: Promise<void> | undefined;
  const close = async () => {
    onClose();
    try {
      await calls.call('close');
    } finally {
      await worker.terminate();
    }
  };
  return {
    accept: (payments, batch) => worker.postMessage({ type: 'accept', payments, batch } satisfies ToCore),
    summary: (window: SummaryWindow) => calls.call('summary', window),
    purge: () => calls.call('purge'),
    inspect: () => calls.call('inspect'),
    cluster: () => calls.call('cluster'),
    metrics: () => calls.call('metrics'),
    close: () => (closed ??= close()),
  };
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
  const worker = spawnWorker(config);
  const calls = new PendingCalls((m) => worker.postMessage(m));
  const life = { started: false, closing: false, dead: false };
  const core = coreOverThread(worker, calls, () => (life.closing = true));
  return new Promise((resolve, reject) => {
    worker.on('message', (m: FromCore) => {
      switch (m.type) {
        case 'ready':
          life.started = true;
          return resolve(core);
        case 'start-failed':
          void worker.terminate();
          return reject(new Error(m.message));
        case 'reply':
          return calls.reply(m);
        case 'refusal':
          return events.onRefusal?.(m.reason);
        case 'batch-settled':
          return events.onBatchSettled?.(m.batch, m.durable);
      }
    });
    const died = (err: Error) => {
      if (life.dead) return;
      life.dead = true;
      calls.failAll(err);
      if (!life.started) reject(err);
      else if (!life.closing) onDied(err);
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`core thread exited (code ${code})`)));
  });
}
