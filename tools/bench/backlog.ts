// What a backlog costs while it waits: both processors failing, a native stack holding `payments`
// accepted payments, and the CPU its instances' core threads spend per second doing nothing but
// waiting (routing ticks every 20 ms, health checks, heartbeats). A tick that slices and joins the
// whole queue costs in proportion to the backlog; one that looks at the front only does not. Builds
// alternate round by round (this one, then the --old commit), each on a fresh stack, so that both
// see the same machine. CPU from /proc (the core threads' counters), not wall time.
// Run: npm run build && node dist/tools/bench/backlog.js [--old 7c789a5] [--payments 20000] [--rounds 3]
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { buildCommit, thisBuild } from './harness/builds';
import { withNativeStacks } from './harness/native-stacks';
import { readOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import { setProcessorsFailing } from './harness/simulator-process';
import { supervisorSnapshot } from './harness/supervisor-snapshot';
import { alternating, bySide, spread } from './harness/stats';
import { instanceCpu } from '../launcher/cpu-counters';
import { until } from '../kit/until';
import type { RunningStack } from '../launcher/stack';

const OPTIONS = {
  old: { kind: 'string', default: '7c789a5', help: 'the earlier commit to compare with' },
  payments: { kind: 'number', default: 20_000, help: 'payments the stack holds while both processors fail' },
  seconds: { kind: 'number', default: 10, help: 'how long the core threads are measured, holding them' },
  rounds: { kind: 'number', default: 3, help: 'rounds; each runs every build once, on a fresh stack' },
} as const;

/** Payments one instance holds: waiting, being claimed or checked, or in flight. */
async function held(url: string, instance: string): Promise<number> {
  const s = await supervisorSnapshot(url, instance);
  return s.waiting + s.claiming + s.checking + s.inFlight.default + s.inFlight.fallback;
}

/** Posts `count` payments, 64 at a time; resolves once the instances hold every one answered 202. */
async function fill(stack: RunningStack, count: number): Promise<number> {
  await setProcessorsFailing(stack.processors, true);
  const pool = new Pool(stack.url, { connections: 64 });
  let next = 0;
  let accepted = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next++ < count) {
        const res = await pool.request({
          method: 'POST',
          path: '/payments',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ correlationId: randomUUID(), amount: 1 }),
        });
        await res.body.dump();
        if (res.statusCode === 202) accepted++;
      }
    }),
  );
  await pool.close();
  const both = async () => (await held(stack.url, 'app1')) + (await held(stack.url, 'app2'));
  await until(async () => (await both()) === accepted, 30_000, 'the instances to hold every accepted payment', 100);
  return accepted;
}

/** CPU seconds of both instances' core threads. */
function coreCpu(stack: RunningStack): number {
  return stack.instances.reduce((s, i) => s + (i.pid ? instanceCpu(i.pid).core : 0), 0);
}

runBench(async () => {
  const o = readOptions('What a waiting backlog costs the core threads, per second', OPTIONS);
  const report = new BenchReport('backlog', o);
  const builds = [
    { name: 'new', script: thisBuild() },
    { name: o.old, script: buildCommit(o.old) },
  ];
  const cpuMsPerS = bySide<number>(builds.map((b) => b.name));
  for (const { round, side } of alternating(builds, o.rounds)) {
    // The bound well above the backlog, so that both builds hold all of it (the old one has none).
    const sides = [{ name: side.name, instanceScript: side.script, appEnv: { MAX_HELD: String(o.payments * 2) } }];
    const r = await withNativeStacks({ bench: 'backlog', basePort: 19_970, sides, warmUsers: 0 }, async ([s]) => {
      const accepted = await fill(s.stack, o.payments);
      await sleep(1000); // the claims and look-ups behind them
      const before = coreCpu(s.stack);
      const started = performance.now();
      await sleep(o.seconds * 1000);
      const cpu = coreCpu(s.stack) - before;
      return { accepted, perS: (cpu * 1000) / ((performance.now() - started) / 1000) };
    });
    cpuMsPerS[side.name].push(r.perS);
    report.line(
      `round ${round}, ${side.name}: holding ${r.accepted}, core threads ${r.perS.toFixed(1)} ms of CPU per second`,
    );
  }
  report.table(
    `Core threads' CPU while ${o.payments} payments wait (ms per second; median (lowest-highest) of ${o.rounds})`,
    ['build', 'CPU ms/s'],
    builds.map((b) => [b.name, spread(cpuMsPerS[b.name], 1)]),
  );
  report.figure('cpuMsPerS', cpuMsPerS);
  report.finish();
});
