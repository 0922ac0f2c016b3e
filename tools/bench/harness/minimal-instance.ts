// The least any implementation of the contract must do per payment, as an instance the
// launcher can start in place of ours (the cost benchmark's baseline): answer GET /health;
// for POST /payments read the body, parse it, answer 202, and send it to the default
// processor with one undici POST. No store, no dedupe, no fallback, no summary.
// Environment: SOCKET_PATH, PROCESSOR_DEFAULT_URL (as the launcher gives them to an instance).
import { chmodSync } from 'node:fs';
import { Pool } from 'undici';
import { loadUws } from '../../../src/http/uws';

const socketPath = process.env.SOCKET_PATH!;
const processor = new Pool(process.env.PROCESSOR_DEFAULT_URL!, { connections: 64, pipelining: 1 });
const uws = loadUws();

function forward(correlationId: string, amount: number): void {
  const body = JSON.stringify({ correlationId, amount, requestedAt: new Date().toISOString() });
  processor.request({ method: 'POST', path: '/payments', headers: { 'content-type': 'application/json' }, body }).then(
    (res) => res.body.dump(),
    () => undefined, // a baseline: it does not retry
  );
}

uws
  .App()
  .get('/health', (res) => void res.end('{"status":"ok"}'))
  .post('/payments', (res) => {
    let aborted = false;
    let chunks: Buffer[] = [];
    res.onAborted(() => (aborted = true));
    res.onData((chunk, last) => {
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!last) return;
      let payment: { correlationId?: unknown; amount?: unknown };
      try {
        payment = JSON.parse(Buffer.concat(chunks).toString()) as typeof payment;
      } catch {
        payment = {};
      }
      chunks = [];
      const valid = typeof payment.correlationId === 'string' && typeof payment.amount === 'number';
      if (!aborted) res.cork(() => res.writeStatus(valid ? '202 Accepted' : '400 Bad Request').end());
      if (valid) forward(payment.correlationId as string, payment.amount as number);
    });
  })
  .listen_unix((socket) => {
    if (!socket) throw new Error(`cannot listen on ${socketPath}`);
    chmodSync(socketPath, 0o666);
  }, socketPath);

process.on('SIGTERM', () => process.exit(0));
