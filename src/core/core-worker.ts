// Entry point of the core's worker thread: starts the payment core with the
// instance's configuration and serves the front end's messages in order.
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../shared/config';
import { createLogger } from '../shared/log';
import type { FromCore, ToCore } from './core-protocol';
import { startCpuProfile } from '../shared/cpu-profile';
import { startPaymentCore } from './payment-core';
import { type PaymentCore } from './core-protocol';
import { niceCurrentThread } from './thread-priority';

const port = parentPort!;
const config = workerData as Config;
const send = (m: FromCore) => port.postMessage(m);
niceCurrentThread(config.coreNice);
const profile = config.cpuProfileDir
  ? startCpuProfile(join(config.cpuProfileDir, `${config.instanceId}-core.cpuprofile`))
  : null;

function serve(core: PaymentCore): void {
  port.on('message', (m: ToCore) => {
    if (m.type === 'accept') return core.accept(m.payments, m.batch);
    let call: Promise<unknown> =
      m.method === 'summary' ? core.summary(m.arg as Parameters<PaymentCore['summary']>[0]) : core[m.method]();
    if (m.method === 'close' && profile) call = call.then(() => profile.stop());
    call.then(
      (value) => send({ type: 'reply', id: m.id, ok: true, value }),
      (err: Error) => send({ type: 'reply', id: m.id, ok: false, message: String(err?.message ?? err) }),
    );
  });
}

startPaymentCore(config, createLogger(config.instanceId, config.logLevel), {
  onRefusal: (reason) => send({ type: 'refusal', reason }),
  onBatchSettled: (batch, durable) => send({ type: 'batch-settled', batch, durable }),
}).then(
  (core) => {
    serve(core);
    send({ type: 'ready' });
  },
  (err: Error) => send({ type: 'start-failed', message: String(err?.message ?? err) }),
);
