// How long a graceful hand-over takes: the native stack holds payments that cannot be sent (both
// processors failing), one instance gets SIGTERM, and the clock runs until the other instance holds
// every payment. With the default HEARTBEAT_MS (1 s), a dead instance's payments become claimable after
// 3 missed beats (3 s); a hand-over well under that shows the leaver dropped its heartbeat itself. What it
// measures: the leaver settling, flushing and dropping its heartbeat, then the survivor's next sweep.
// The tests prove that the hand-over happens; this prints how long it takes.
// Run: npm run build && node dist/tools/bench/handover.js [--rounds 3] [--payments 200]
import { parseArgs } from 'node:util';
import { median } from './cli';
import { startStack, until } from '../launcher/stack';
import type { SupervisorSnapshot } from '../../src/actors/payment-supervisor';
import { PROCESSOR_NAMES } from '../../src/payment';
import { randomUUID } from 'node:crypto';

async function held(url: string, instance: string): Promise<number> {
  const res = await fetch(`${url}/instances/${instance}/actors`);
  const { supervisor: s } = (await res.json()) as { supervisor: SupervisorSnapshot };
  return s.waiting + s.claiming + s.inFlight.default + s.inFlight.fallback;
}

async function round(payments: number, n: number): Promise<{ handoverMs: number; exitMs: number }> {
  const stack = await startStack({
    port: 19_990,
    simulatorPorts: { default: 19_991, fallback: 19_992 },
    redisPrefix: `bench-handover-${n}:`,
    databaseSchema: `bench_handover_${n}`,
    runDir: '.run/bench-handover',
    output: 'ignore',
    log: () => undefined,
    appEnv: { LOG_LEVEL: 'warn', WARM_UP_ROUNDS: '0' },
  });
  const setFailure = (failure: boolean) =>
    Promise.all(
      PROCESSOR_NAMES.map((p) =>
        fetch(`${stack.processors[p]}/admin/configurations/failure`, {
          method: 'PUT',
          headers: { 'x-rinha-token': '123', 'content-type': 'application/json' },
          body: JSON.stringify({ failure }),
        }),
      ),
    );
  try {
    await setFailure(true);
    await Promise.all(
      Array.from({ length: payments }, () =>
        fetch(`${stack.url}/payments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ correlationId: randomUUID(), amount: 1.5 }),
        }),
      ),
    );
    await until(
      async () => (await held(stack.url, 'app1')) + (await held(stack.url, 'app2')) === payments,
      10_000,
      'both instances to hold every payment',
      5,
    );
    const leaver = stack.instances[0];
    const started = performance.now();
    process.kill(leaver.pid!, 'SIGTERM');
    let exitMs = NaN;
    await until(
      async () => {
        if (
          Number.isNaN(exitMs) &&
          !(await fetch(`${stack.url}/instances/app1/health`).then(
            (r) => r.ok,
            () => false,
          ))
        )
          exitMs = performance.now() - started;
        return (await held(stack.url, 'app2')) === payments;
      },
      60_000,
      'the survivor to hold every payment',
      5,
    );
    const handoverMs = performance.now() - started;
    await setFailure(false);
    return { handoverMs, exitMs };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, payments: { type: 'string' } } });
  const rounds = Number(values.rounds ?? 3);
  const payments = Number(values.payments ?? 200);
  const results: { handoverMs: number; exitMs: number }[] = [];
  for (let i = 0; i < rounds; i++) {
    const r = await round(payments, i);
    results.push(r);
    console.log(
      `round ${i + 1}: app1 stopped answering ${r.exitMs.toFixed(0)} ms after SIGTERM; ` +
        `app2 held all ${payments} after ${r.handoverMs.toFixed(0)} ms`,
    );
  }
  const all = results.map((r) => r.handoverMs);
  console.log(
    `hand-over, median of ${rounds}: ${median(all).toFixed(0)} ms (from ${Math.min(...all).toFixed(0)} to ` +
      `${Math.max(...all).toFixed(0)} ms); waiting for the heartbeat to expire would take 3000 ms or more`,
  );
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
