// How long a graceful hand-over takes: the native stack holds payments that cannot be sent (both
// processors failing), one instance gets SIGTERM, and the clock runs until the other instance holds
// every payment. With the default HEARTBEAT_MS (1 s), a dead instance's payments become claimable after
// 3 missed beats (3 s); a hand-over well under that shows the leaver dropped its heartbeat itself. What it
// measures: the leaver settling, flushing and dropping its heartbeat, then the survivor's next sweep.
// The tests prove that the hand-over happens; this prints how long it takes.
// Run: npm run build && node dist/tools/bench/handover.js [--rounds 3] [--payments 200] [--json FILE]
import { randomUUID } from 'node:crypto';
import { withNativeStacks } from './harness/native-stacks';
import { readOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import { setProcessorsFailing } from './harness/simulator-process';
import { supervisorSnapshot } from './harness/supervisor-snapshot';
import { median } from './harness/stats';
import { until } from '../kit/until';
import type { RunningStack } from '../launcher/stack';

const OPTIONS = {
  rounds: { kind: 'number', default: 3, help: 'hand-overs, each on a fresh stack' },
  payments: { kind: 'number', default: 200, help: 'payments the stack holds when app1 gets SIGTERM' },
} as const;

/** Payments an instance holds: waiting, being claimed, or in flight. */
async function held(url: string, instance: string): Promise<number> {
  const s = await supervisorSnapshot(url, instance);
  return s.waiting + s.claiming + s.inFlight.default + s.inFlight.fallback;
}

/** Both processors failing, `payments` accepted: resolves once the two instances hold all of them. */
async function fill(stack: RunningStack, payments: number): Promise<void> {
  await setProcessorsFailing(stack.processors, true);
  await Promise.all(
    Array.from({ length: payments }, () =>
      fetch(`${stack.url}/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ correlationId: randomUUID(), amount: 1.5 }),
      }),
    ),
  );
  const both = async () => (await held(stack.url, 'app1')) + (await held(stack.url, 'app2'));
  await until(async () => (await both()) === payments, 10_000, 'both instances to hold every payment', 5);
}

/** SIGTERM to app1; the clock runs until app2 holds every payment (and notes when app1 stopped answering). */
async function handOver(stack: RunningStack, payments: number): Promise<{ handoverMs: number; exitMs: number }> {
  const started = performance.now();
  process.kill(stack.instances[0].pid!, 'SIGTERM');
  let exitMs = NaN;
  const answers = () =>
    fetch(`${stack.url}/instances/app1/health`).then(
      (r) => r.ok,
      () => false,
    );
  await until(
    async () => {
      if (Number.isNaN(exitMs) && !(await answers())) exitMs = performance.now() - started;
      return (await held(stack.url, 'app2')) === payments;
    },
    60_000,
    'the survivor to hold every payment',
    5,
  );
  const handoverMs = performance.now() - started;
  await setProcessorsFailing(stack.processors, false);
  return { handoverMs, exitMs };
}

runBench(async () => {
  const o = readOptions('How long a graceful hand-over takes', OPTIONS);
  const report = new BenchReport('handover', o);
  const all: number[] = [];
  for (let i = 1; i <= o.rounds; i++) {
    const sides = [{ name: `round-${i}`, appEnv: { WARM_UP_ROUNDS: '0' } }];
    const r = await withNativeStacks({ bench: 'handover', basePort: 19_990, sides, warmUsers: 0 }, async ([s]) => {
      await fill(s.stack, o.payments);
      return handOver(s.stack, o.payments);
    });
    all.push(r.handoverMs);
    report.line(
      `round ${i}: app1 stopped answering ${r.exitMs.toFixed(0)} ms after SIGTERM; ` +
        `app2 held all ${o.payments} after ${r.handoverMs.toFixed(0)} ms`,
    );
  }
  report.figure('handoverMs', all);
  report.line(
    `hand-over, median of ${o.rounds}: ${median(all).toFixed(0)} ms (from ${Math.min(...all).toFixed(0)} to ` +
      `${Math.max(...all).toFixed(0)} ms); waiting for the heartbeat to expire would take 3000 ms or more`,
  );
  report.finish();
});
