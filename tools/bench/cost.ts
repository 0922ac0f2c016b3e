// What a payment costs in CPU, part by part, for this build beside earlier ones, beside settings
// to price, and beside the least any implementation of the contract must do, alternating on the
// same machine under the same load so that the machine's noise falls on every side:
//   new      this build (dist/src/main.js)
//   <commit> each earlier commit of --old (comma-separated; `none` for no earlier build), built from git
//   <name>   each --variant name:K=V[,K=V]: this build with those settings
//   minimal  harness/minimal-instance.ts: parse, 202, one undici POST to the processor, nothing else
// CPU comes from the processes' own counters (harness/counters.ts). Postgres and Redis are the
// machine's, shared by the stacks, so their figures include the idle stacks' background (--idle
// shows how little). A variant may point REDIS_URL at a second server; its commands are read there.
// Then: the capacity the compose limits give each part (limit / CPU per payment), as a multiple of
// the official peak. Ratios are new / the first of --old, and new / minimal.
// Run: npm run build && node dist/tools/bench/cost.js [--old 16943f5[,sha...]] [--rounds 3] [--users 600]
//        [--seconds 15] [--idle 60] [--variant name:K=V[,K=V] ...] [--json FILE]
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { buildCommit, thisBuild } from './harness/builds';
import { instances, minus, PARTS, readStackCpu, redisCommands, wholeStack, type Reading } from './harness/counters';
import { vuPatternSamples } from './harness/load';
import { withNativeStacks, type SideStack, type StackSide } from './harness/native-stacks';
import { envPairs, OFFICIAL_PEAK_PER_S, readOptions, type BenchOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import { alternating, bySide, median, spread } from './harness/stats';
import type { SimulatorProcess } from './harness/simulator-process';
import { processCpu } from '../launcher/cpu-counters';
import { COMPOSE_LIMITS } from '../launcher/resource-limits';
import { DEFAULT_STACK_OPTIONS } from '../launcher/stack';

const OPTIONS = {
  old: { kind: 'string', default: '16943f5', help: 'earlier commits to build and run beside this one, or none' },
  rounds: { kind: 'number', default: 3, help: 'rounds, each side once per round' },
  users: { kind: 'number', default: 600, help: "virtual users of the replay's pattern" },
  seconds: { kind: 'number', default: 15, help: 'seconds per side per round' },
  idle: { kind: 'number', default: 0, help: 'then this many seconds without traffic, CPU per part' },
  variant: { kind: 'list', help: 'name:K=V[,K=V]: this build with those settings, as a side of its own' },
} as const;
type Options = BenchOptions<typeof OPTIONS>;

/** Per side, per round: CPU per payment (ms) of each part, of the simulators, and Redis commands. */
interface Figures {
  perPayment: Record<string, Reading[]>;
  simulatorMs: Record<string, number[]>;
  redisPerPayment: Record<string, number[]>;
}

function sidesOf(o: Options): StackSide[] {
  const olds = o.old.split(',').filter((c) => c && c !== 'none');
  const variants = o.variant.map((v) => {
    const colon = v.indexOf(':');
    if (colon < 1) throw new Error(`--variant name:K=V[,K=V], got "${v}"`);
    return { name: v.slice(0, colon), appEnv: envPairs([v.slice(colon + 1)]), instanceScript: thisBuild() };
  });
  return [
    { name: 'new', instanceScript: thisBuild() },
    ...olds.map((c) => ({ name: c, instanceScript: buildCommit(c) })),
    ...variants,
    { name: 'minimal', instanceScript: join(__dirname, 'harness', 'minimal-instance.js') },
  ];
}

/** One side's turn: the load, a pause for what was accepted to be sent and written, and the counters. */
async function measure(o: Options, s: SideStack, side: StackSide, simulators: SimulatorProcess, f: Figures) {
  const redis = new Redis(side.appEnv?.REDIS_URL ?? DEFAULT_STACK_OPTIONS.redisUrl, { lazyConnect: true });
  const before = readStackCpu(s.stack);
  const simBefore = processCpu(simulators.pid);
  const commandsBefore = await redisCommands(redis);
  const samples = await vuPatternSamples([{ url: s.stack.url }], o.users, o.seconds);
  await sleep(2000); // a payment takes milliseconds: by now it is sent and written
  const used = minus(readStackCpu(s.stack), before);
  const payments = samples.filter((x) => x.ok).length;
  const ms = (seconds: number) => (seconds * 1000) / payments;
  f.perPayment[s.name].push(Object.fromEntries(PARTS.map((p) => [p, ms(used[p])])) as Reading);
  f.simulatorMs[s.name].push(ms(processCpu(simulators.pid) - simBefore));
  // Less the two INFO calls themselves.
  f.redisPerPayment[s.name].push(((await redisCommands(redis)) - commandsBefore - 1) / payments);
  redis.disconnect();
  const failed = samples.length - payments;
  const costs = `stack ${ms(wholeStack(used)).toFixed(3)} ms/payment  apps ${ms(instances(used)).toFixed(3)}`;
  return `${payments} payments${failed ? ` (${failed} failed)` : ''}  ${costs}`;
}

/** Each side's share of a CPU over `seconds` without traffic. */
async function idleUse(stacks: SideStack[], seconds: number, report: BenchReport): Promise<void> {
  const before = stacks.map((s) => ({
    reading: readStackCpu(s.stack),
    procs: s.stack.instances.map((i) => (i.pid ? processCpu(i.pid) : 0)),
  }));
  await sleep(seconds * 1000);
  const pct = (x: number) => ((x / seconds) * 100).toFixed(2);
  const rows = stacks.map((s, k) => {
    const r = minus(readStackCpu(s.stack), before[k].reading);
    const procs = s.stack.instances.map((i, j) => (i.pid ? processCpu(i.pid) : 0) - before[k].procs[j]);
    return [
      s.name,
      pct(r.nginx),
      procs.map(pct).join(' + '),
      pct(r['http thread']),
      pct(r['core thread']),
      pct(r.postgres),
      pct(r.redis),
    ];
  });
  report.table(
    `idle, ${seconds} s without traffic, % of one CPU (postgres and redis: the machine's, all stacks)`,
    ['side', 'nginx', 'instances', 'http', 'core', 'postgres', 'redis'],
    rows,
  );
}

function printCosts(o: Options, names: string[], f: Figures, report: BenchReport): void {
  const oldName = names[1] !== 'minimal' && o.old !== 'none' ? names[1] : undefined;
  const med = (name: string, cost: (r: Reading) => number) => median(f.perPayment[name].map(cost));
  const row = (label: string, cost: (r: Reading) => number) => {
    const n = med('new', cost);
    return [
      label,
      ...names.map((s) => spread(f.perPayment[s].map(cost))),
      ...(oldName ? [(n / med(oldName, cost)).toFixed(2)] : []),
      (n / med('minimal', cost)).toFixed(2),
    ];
  };
  const rows = [...PARTS.map((p) => row(p, (r) => r[p])), row('apps', instances), row('whole stack', wholeStack)];
  const header = ['part', ...names, ...(oldName ? [`new/${oldName}`] : []), 'new/minimal'];
  report.table('CPU per payment, ms: median of the rounds (lowest-highest)', header, rows);
  report.figure('cpuPerPaymentMs', f.perPayment);
  report.line(`simulators (outside the stack): ${names.map((s) => `${s} ${spread(f.simulatorMs[s])}`).join(', ')}`);
  report.line(`Redis commands per payment: ${names.map((s) => `${s} ${spread(f.redisPerPayment[s], 2)}`).join(', ')}`);
  for (const name of names.filter((n) => n !== 'minimal')) report.line(capacityLine(name, (c) => med(name, c)));
}

/** The payments per second each part's compose CPU limit carries at this cost; the least of them. */
function capacityLine(name: string, med: (cost: (r: Reading) => number) => number): string {
  const limits: [string, number, (r: Reading) => number][] = [
    ['nginx', COMPOSE_LIMITS.nginx.cpus, (r) => r.nginx],
    ['apps (both)', COMPOSE_LIMITS.app1.cpus + COMPOSE_LIMITS.app2.cpus, instances],
    ['postgres', COMPOSE_LIMITS.postgres.cpus, (r) => r.postgres],
    ['redis', COMPOSE_LIMITS.redis.cpus, (r) => r.redis],
  ];
  const caps = limits.map(([part, cpus, cost]) => ({ part, perSecond: cpus / (med(cost) / 1000) }));
  const least = caps.reduce((a, b) => (b.perSecond < a.perSecond ? b : a));
  return (
    `capacity under the compose limits, ${name}: ` +
    caps.map((c) => `${c.part} ${c.perSecond.toFixed(0)}/s`).join(', ') +
    `; the least: ${least.part}, ${least.perSecond.toFixed(0)} payments/s = ` +
    `${(least.perSecond / OFFICIAL_PEAK_PER_S).toFixed(2)}x the official peak (${OFFICIAL_PEAK_PER_S}/s)`
  );
}

runBench(async () => {
  const o = readOptions('CPU per payment, part by part, of this build beside others, alternating', OPTIONS);
  const report = new BenchReport('cost', o);
  const sides = sidesOf(o);
  const names = sides.map((s) => s.name);
  const f: Figures = { perPayment: bySide(names), simulatorMs: bySide(names), redisPerPayment: bySide(names) };
  report.line(
    `${o.users} VUs posting then sleeping 1 s, ${o.seconds} s per round, ${o.rounds} rounds, sides alternating: ` +
      `${names.join(', ')}; native stacks, no limits`,
  );
  await withNativeStacks({ bench: 'cost', basePort: 18381, sides, warmUsers: o.users }, async (stacks, simulators) => {
    for (const { round, side } of alternating(stacks, o.rounds)) {
      const given = sides[names.indexOf(side.name)];
      report.line(`round ${round}  ${side.name.padEnd(8)}  ${await measure(o, side, given, simulators, f)}`);
    }
    if (o.idle > 0) await idleUse(stacks, o.idle, report);
  });
  printCosts(o, names, f, report);
  report.finish();
});
