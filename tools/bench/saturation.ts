// How many payments per second the stack carries under the compose file's limits, found by
// pushing it until it gives: every part's CPU limit scaled down by one factor (a quarter by
// default, so that the load generator and the simulators, which run outside the limits, still
// fit on a two-core machine), then a constant arrival rate raised step by step until the p99
// passes --max-p99 ms, a request fails, or payments pile up inside (waiting, being claimed or
// in flight at the end of a step: more than a tenth of a second's arrivals). The last rate that
// held, divided by the factor, is the capacity of the full limits on this machine; the cost
// benchmark (cost.js) predicts the same from CPU per payment.
// Run: npm run build && node dist/tools/bench/saturation.js [--scale 0.25] [--start 40] [--step 20] [--seconds 10]
//        [--max-p99 5] (as root, with cgroup v1: see docs/deploy.md)
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { OFFICIAL_PEAK_PER_S } from './cli';
import { openLoop } from './load';
import { startSimulatorProcess, type SimulatorProcess } from './simulator-process';
import { startStack, type RunningStack } from '../launcher/stack';

/** Payments an instance holds that are not yet answered by a processor. */
async function backlog(stack: RunningStack): Promise<number> {
  let total = 0;
  for (const i of stack.instances) {
    const res = await fetch(`${stack.url}/instances/${i.name}/actors`);
    const { supervisor } = (await res.json()) as {
      supervisor: { waiting: number; claiming: number; inFlight: { default: number; fallback: number } };
    };
    total += supervisor.waiting + supervisor.claiming + supervisor.inFlight.default + supervisor.inFlight.fallback;
  }
  return total;
}

const throttled = (stack: RunningStack) =>
  (stack.usage() ?? []).filter((p) => p.part.startsWith('app')).reduce((n, p) => n + p.throttledPeriods, 0);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string' },
      start: { type: 'string' },
      step: { type: 'string' },
      seconds: { type: 'string' },
      'max-p99': { type: 'string' },
    },
  });
  const scale = Number(values.scale ?? 0.25);
  const start = Number(values.start ?? 40);
  const step = Number(values.step ?? 20);
  const seconds = Number(values.seconds ?? 10);
  const maxP99 = Number(values['max-p99'] ?? 5);
  const dir = join(tmpdir(), `saturation-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const log: string[] = [];
  let simulators: SimulatorProcess | undefined;
  let stack: RunningStack | undefined;
  const rows: string[] = [];
  let held = 0;
  let reason: string;
  try {
    simulators = await startSimulatorProcess({ default: 18581, fallback: 18582 });
    stack = await startStack({
      port: 18590,
      processorUrls: simulators.urls,
      redisPrefix: `saturation:${process.pid}:`,
      databaseSchema: `saturation_${process.pid}`,
      runDir: join(dir, 'run'),
      output: 'ignore',
      log: (l) => log.push(l),
      appEnv: { LOG_LEVEL: 'warn' },
      composeLimits: true,
      cpuScale: scale,
    });
    if (!stack.usage()) throw new Error(log.find((l) => l.startsWith('compose limits')) ?? 'limits not applied');
    console.log(log.find((l) => l.startsWith('compose limits')));
    const body = () => JSON.stringify({ correlationId: randomUUID(), amount: 19.9 });
    await openLoop(stack.url, '/payments', body, start, 5); // warm-up
    for (let rate = start; ; rate += step) {
      const throttledBefore = throttled(stack);
      const r = await openLoop(stack.url, '/payments', body, rate, seconds);
      const left = await backlog(stack);
      rows.push(
        `${String(rate).padStart(5)}/s  answered ${r.achievedRate.toFixed(0).padStart(4)}/s  ` +
          `p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  failed ${r.errors}  held inside ${left}  ` +
          `app throttled periods ${throttled(stack) - throttledBefore}`,
      );
      console.log(rows[rows.length - 1]);
      if (r.errors > 0) reason = `${r.errors} requests failed`;
      else if (r.p99 > maxP99) reason = `p99 ${r.p99.toFixed(2)} ms > ${maxP99} ms`;
      else if (left > rate / 10) reason = `${left} payments held inside`;
      else {
        held = rate;
        continue;
      }
      break;
    }
  } finally {
    await stack?.stop();
    simulators?.stop();
  }
  console.log(
    `limits at ${scale} of the compose file's CPU: held ${held}/s, gave at ${held + step}/s (${reason}); ` +
      `the full limits: about ${(held / scale).toFixed(0)}/s = ${(held / scale / OFFICIAL_PEAK_PER_S).toFixed(2)}x ` +
      `the official peak (${OFFICIAL_PEAK_PER_S}/s)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
