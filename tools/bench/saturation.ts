// How many payments per second the stack carries under the compose file's limits, found by
// pushing it until it gives: every part's CPU limit scaled down by one factor (a quarter by
// default, so that the load generator and the simulators, which run outside the limits, still
// fit on a two-core machine), then a constant arrival rate raised step by step until the p99
// passes --max-p99 ms, a request fails, or payments pile up inside (waiting, being claimed or
// in flight at the end of a step: more than a tenth of a second's arrivals). The last rate that
// held, divided by the factor, is the capacity of the full limits on this machine; the cost
// benchmark (cost.js) predicts the same from CPU per payment.
// Run: npm run build && node dist/tools/bench/saturation.js [--scale 0.25] [--start 40] [--step 20] [--seconds 10]
//        [--max-p99 5] [--json FILE] (as root, with cgroup v1: see docs/deploy.md)
import { randomUUID } from 'node:crypto';
import { openLoop } from './harness/load';
import { withNativeStacks } from './harness/native-stacks';
import { OFFICIAL_PEAK_PER_S, readOptions, type BenchOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import { supervisorSnapshot } from './harness/supervisor-snapshot';
import type { RunningStack } from '../launcher/stack';

const OPTIONS = {
  scale: { kind: 'number', default: 0.25, help: "every part's CPU limit times this" },
  start: { kind: 'number', default: 40, help: 'first arrival rate, payments per second' },
  step: { kind: 'number', default: 20, help: 'rate added at each step' },
  seconds: { kind: 'number', default: 10, help: 'seconds per step' },
  'max-p99': { kind: 'number', default: 5, help: 'a step whose p99 passes this (ms) ends the climb' },
} as const;
type Options = BenchOptions<typeof OPTIONS>;

/** Payments an instance holds that are not yet answered by a processor. */
async function backlog(stack: RunningStack): Promise<number> {
  let total = 0;
  for (const i of stack.instances) {
    const supervisor = await supervisorSnapshot(stack.url, i.name);
    total += supervisor.waiting + supervisor.claiming + supervisor.inFlight.default + supervisor.inFlight.fallback;
  }
  return total;
}

const throttled = (stack: RunningStack) =>
  (stack.usage() ?? []).filter((p) => p.part.startsWith('app')).reduce((n, p) => n + p.throttledPeriods, 0);

/** Raises the rate step by step until the stack gives; returns the last rate that held, and why the next did not. */
async function climb(o: Options, stack: RunningStack, report: BenchReport): Promise<{ held: number; reason: string }> {
  const body = () => JSON.stringify({ correlationId: randomUUID(), amount: 19.9 });
  await openLoop(stack.url, '/payments', body, o.start, 5); // warm-up
  let held = 0;
  for (let rate = o.start; ; rate += o.step) {
    const throttledBefore = throttled(stack);
    const r = await openLoop(stack.url, '/payments', body, rate, o.seconds);
    const left = await backlog(stack);
    report.line(
      `${String(rate).padStart(5)}/s  answered ${r.achievedRate.toFixed(0).padStart(4)}/s  ` +
        `p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  failed ${r.errors}  held inside ${left}  ` +
        `app throttled periods ${throttled(stack) - throttledBefore}`,
    );
    if (r.errors > 0) return { held, reason: `${r.errors} requests failed` };
    if (r.p99 > o['max-p99']) return { held, reason: `p99 ${r.p99.toFixed(2)} ms > ${o['max-p99']} ms` };
    if (left > rate / 10) return { held, reason: `${left} payments held inside` };
    held = rate;
  }
}

runBench(async () => {
  const o = readOptions('How many payments per second the stack carries under scaled compose limits', OPTIONS);
  const report = new BenchReport('saturation', o);
  const log: string[] = [];
  const stack = { composeLimits: true, cpuScale: o.scale, log: (l: string) => log.push(l) };
  const sides = [{ name: 'stack', stack }];
  const { held, reason } = await withNativeStacks(
    { bench: 'saturation', basePort: 18581, sides, warmUsers: 0 },
    async ([s]) => {
      const limits = log.find((l) => l.startsWith('compose limits'));
      if (!s.stack.usage()) throw new Error(limits ?? 'limits not applied');
      report.line(limits ?? '');
      return climb(o, s.stack, report);
    },
  );
  report.figure('heldPerS', held);
  report.line(
    `limits at ${o.scale} of the compose file's CPU: held ${held}/s, gave at ${held + o.step}/s (${reason}); ` +
      `the full limits: about ${(held / o.scale).toFixed(0)}/s = ` +
      `${(held / o.scale / OFFICIAL_PEAK_PER_S).toFixed(2)}x the official peak (${OFFICIAL_PEAK_PER_S}/s)`,
  );
  report.finish();
});
