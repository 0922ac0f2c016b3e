// What a payment costs in CPU, part by part, for this build beside an earlier one and beside the
// least any implementation of the contract must do, alternating on the same machine under the
// same load so that the machine's noise falls on all three:
//   new      this build (dist/src/main.js)
//   <commit> each earlier commit of --old (comma-separated, default 16943f5; `none` for no earlier build),
//            built from git into a cache
//   <name>   each --variant name:K=V[,K=V]: this build with those settings (to price a setting)
//   minimal  tools/bench/minimal-instance.ts: parse, 202, one undici POST to the processor, nothing else
// Each runs as a native stack (our nginx.conf, two instances, the same simulator process).
// CPU comes from the processes' own counters (/proc), per part and per thread of the instances
// (HTTP thread, core thread, the rest); Postgres and Redis are the machine's, shared by the three
// stacks, so their figures include the idle stacks' background (the idle table shows how little).
// Every redis-server process on the machine counts as Redis, so a variant may point REDIS_URL at a
// second server (one with an append-only file, say); its commands are read from that server.
// Start such a server before the run and stop it after: one that stops meanwhile takes its CPU out of the sum.
// Then: the capacity the compose limits give each part (limit / CPU per payment), as a multiple of
// the official peak; and, with --idle S, what each part uses over S seconds without traffic.
// Ratios are new / the first of --old, and new / minimal; with several --old commits, each change's
// before and after are sides of the same run.
// Run: npm run build && node dist/tools/bench/cost.js
//   [--old 16943f5[,sha...]] [--rounds 3] [--users 600] [--seconds 15]
//        [--idle 60] [--variant name:K=V[,K=V] ...]
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { Client } from 'pg';
import { envPairs, median, OFFICIAL_PEAK_PER_S, redisCommands, spread } from './cli';
import { vuPatternSamples } from './load';
import { startSimulatorProcess, type SimulatorProcess } from './simulator-process';
import { instanceCpu, processCpu, servicesCpu } from '../launcher/cpu-counters';
import { repoRoot } from '../launcher/nginx-config';
import { COMPOSE_LIMITS } from '../launcher/resource-limits';
import { DEFAULT_STACK_OPTIONS, startStack, type RunningStack } from '../launcher/stack';

const PARTS = ['nginx', 'http thread', 'core thread', 'other threads', 'postgres', 'redis'] as const;
type Part = (typeof PARTS)[number];
type Reading = Record<Part, number>;

/** 'new', 'minimal' or an earlier commit. */
type SideName = string;
interface Side {
  name: SideName;
  stack: RunningStack;
}

/** CPU seconds so far of each part of one stack (Postgres and Redis: the machine's). */
function read(stack: RunningStack): Reading {
  const r: Reading = { 'http thread': 0, 'core thread': 0, 'other threads': 0, ...servicesCpu(stack.nginxPid) };
  for (const i of stack.instances) {
    if (!i.pid) continue;
    const t = instanceCpu(i.pid);
    r['http thread'] += t.http;
    r['core thread'] += t.core;
    r['other threads'] += t.other;
  }
  return r;
}

function minus(a: Reading, b: Reading): Reading {
  return Object.fromEntries(PARTS.map((p) => [p, a[p] - b[p]])) as Reading;
}

const total = (r: Reading) => PARTS.reduce((s, p) => s + r[p], 0);
const apps = (r: Reading) => r['http thread'] + r['core thread'] + r['other threads'];

/** An earlier commit's build, made once into a cache directory (the runtime packages are this checkout's). */
function buildCommit(commit: string): string {
  const root = repoRoot();
  const sha = execFileSync('git', ['-C', root, 'rev-parse', '--verify', `${commit}^{commit}`], { encoding: 'utf8' })
    .trim()
    .slice(0, 12);
  const dir = join(tmpdir(), `rinha-build-${sha}`);
  const main = join(dir, 'dist', 'src', 'main.js');
  if (existsSync(main)) return main;
  mkdirSync(dir, { recursive: true });
  execSync(`git -C ${JSON.stringify(root)} archive ${sha} | tar -x -C ${JSON.stringify(dir)}`);
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
      stdio: 'ignore',
    });
  } catch {
    // Type errors still emit JavaScript; only a missing entry point is fatal.
  }
  if (!existsSync(main)) throw new Error(`building ${commit} in ${dir} did not produce ${main}`);
  return main;
}

function ms(seconds: number, payments: number): number {
  return (seconds * 1000) / payments;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      old: { type: 'string' },
      rounds: { type: 'string' },
      users: { type: 'string' },
      seconds: { type: 'string' },
      idle: { type: 'string' },
      variant: { type: 'string', multiple: true },
    },
  });
  const oldCommits = (values.old ?? '16943f5').split(',').filter((c) => c && c !== 'none');
  const rounds = Number(values.rounds ?? 3);
  const users = Number(values.users ?? 600);
  const seconds = Number(values.seconds ?? 15);
  const idleSeconds = Number(values.idle ?? 0);
  const thisBuild = join(repoRoot(), 'dist', 'src', 'main.js');
  const scripts: Record<SideName, string> = { new: thisBuild };
  const envs: Record<SideName, Record<string, string>> = {};
  for (const commit of oldCommits) scripts[commit] = buildCommit(commit);
  for (const v of values.variant ?? []) {
    const colon = v.indexOf(':');
    if (colon < 1) throw new Error(`--variant name:K=V[,K=V], got "${v}"`);
    scripts[v.slice(0, colon)] = thisBuild;
    envs[v.slice(0, colon)] = envPairs(
      v
        .slice(colon + 1)
        .split(',')
        .filter(Boolean),
    );
  }
  scripts.minimal = join(__dirname, 'minimal-instance.js');
  // In the order given (Object.keys would put a commit that looks like a number first).
  const names = ['new', ...oldCommits, ...(values.variant ?? []).map((v) => v.slice(0, v.indexOf(':'))), 'minimal'];
  const oldName = oldCommits[0];
  const bySide = <T>(): Record<SideName, T[]> => Object.fromEntries(names.map((n) => [n, [] as T[]]));
  const dir = join(tmpdir(), `cost-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  let simulators: SimulatorProcess | undefined;
  const sides: Side[] = [];
  // Per side, per round: CPU per payment (ms) of each part, and the payments answered.
  const perPayment = bySide<Reading>();
  const simulatorMs = bySide<number>();
  const redisPerPayment = bySide<number>();
  // Each side's commands are counted on the Redis it uses.
  const redisOf = new Map<string, Redis>();
  const redisFor = (name: SideName): Redis => {
    const url = envs[name]?.REDIS_URL ?? DEFAULT_STACK_OPTIONS.redisUrl;
    if (!redisOf.has(url)) redisOf.set(url, new Redis(url, { lazyConnect: true }));
    return redisOf.get(url)!;
  };
  const rows: string[] = [];
  let idle: { side: SideName; reading: Reading; instances: number[] }[] = [];
  let idleServices = { postgres: 0, redis: 0 };
  try {
    simulators = await startSimulatorProcess({ default: 18381, fallback: 18382 });
    for (const [i, name] of names.entries()) {
      const stack = await startStack({
        port: 18390 + i,
        processorUrls: simulators.urls,
        redisPrefix: `cost:${process.pid}:${i}:`,
        databaseSchema: `cost_${process.pid}_${i}`,
        runDir: join(dir, name),
        output: 'ignore',
        log: () => undefined,
        appEnv: { LOG_LEVEL: 'warn', ...envs[name] },
        instanceScript: scripts[name],
      });
      sides.push({ name, stack });
      await vuPatternSamples([{ url: stack.url }], users, 5); // the first runs of a stack are slower (JIT)
    }
    for (let round = 1; round <= rounds; round++) {
      // Rotate the order, so that no side always follows another.
      const order = sides.map((_, k) => sides[(k + round - 1) % sides.length]);
      for (const side of order) {
        const before = read(side.stack);
        const simBefore = processCpu(simulators.pid);
        const commandsBefore = await redisCommands(redisFor(side.name));
        const samples = await vuPatternSamples([{ url: side.stack.url }], users, seconds);
        await sleep(2000); // what was accepted is sent and written meanwhile (a payment takes milliseconds)
        const used = minus(read(side.stack), before);
        const payments = samples.filter((s) => s.ok).length;
        const failed = samples.length - payments;
        const row = Object.fromEntries(PARTS.map((p) => [p, ms(used[p], payments)])) as Reading;
        perPayment[side.name].push(row);
        simulatorMs[side.name].push(ms(processCpu(simulators.pid) - simBefore, payments));
        // Less the two INFO calls themselves.
        redisPerPayment[side.name].push(((await redisCommands(redisFor(side.name))) - commandsBefore - 1) / payments);
        rows.push(
          `round ${round}  ${side.name.padEnd(8)}  ${payments} payments${failed ? ` (${failed} failed)` : ''}  ` +
            `stack ${ms(total(used), payments).toFixed(3)} ms/payment  apps ${ms(apps(used), payments).toFixed(3)}`,
        );
      }
    }
    if (idleSeconds > 0) {
      const before = sides.map((s) => ({
        reading: read(s.stack),
        instances: s.stack.instances.map((i) => (i.pid ? processCpu(i.pid) : 0)),
      }));
      await sleep(idleSeconds * 1000);
      idle = sides.map((s, k) => ({
        side: s.name,
        reading: minus(read(s.stack), before[k].reading),
        instances: s.stack.instances.map((i, j) => (i.pid ? processCpu(i.pid) : 0) - before[k].instances[j]),
      }));
      idleServices = { postgres: idle[0].reading.postgres, redis: idle[0].reading.redis };
    }
  } finally {
    await Promise.all(sides.map((s) => s.stack.stop()));
    simulators?.stop();
    // What the sides stored: an earlier build's unbounded dedupe set alone held megabytes of Redis.
    for (const r of redisOf.values()) {
      const keys = await r.keys(`cost:${process.pid}:*`).catch(() => [] as string[]);
      if (keys.length > 0) await r.del(...keys).catch(() => 0);
      r.disconnect();
    }
    const pg = new Client({ connectionString: DEFAULT_STACK_OPTIONS.databaseUrl });
    await pg.connect();
    for (let i = 0; i < sides.length; i++)
      await pg.query(`DROP SCHEMA IF EXISTS cost_${process.pid}_${i} CASCADE`).catch(() => undefined);
    await pg.end();
  }

  const med = (name: SideName, f: (r: Reading) => number) => median(perPayment[name].map(f));
  console.log(
    `CPU per payment, ms (median of ${rounds} rounds, lowest-highest): ${users} VUs posting then sleeping 1 s, ` +
      `${seconds} s per round, sides alternating; earlier builds: ${oldCommits.join(', ') || 'none'}; ` +
      'native stacks, no limits',
  );
  for (const r of rows) console.log(r);
  console.log(
    [
      'part'.padEnd(15),
      ...names.map((s) => s.padEnd(24)),
      oldName ? `new/${oldName}`.padEnd(17) : '',
      'new/minimal',
    ].join(''),
  );
  const line = (label: string, f: (r: Reading) => number) => {
    const [n, m] = ['new', 'minimal'].map((s) => med(s, f));
    const toOld = oldName ? (n / med(oldName, f)).toFixed(2).padEnd(17) : '';
    console.log(
      label.padEnd(15) +
        names.map((s) => spread(perPayment[s].map(f)).padEnd(24)).join('') +
        `${toOld}${(n / m).toFixed(2)}`,
    );
  };
  for (const p of PARTS) line(p, (r) => r[p]);
  line('apps', apps);
  line('whole stack', total);
  console.log(`simulators (outside the stack): ` + names.map((s) => `${s} ${spread(simulatorMs[s])}`).join(', '));

  console.log(`Redis commands per payment: ` + names.map((s) => `${s} ${spread(redisPerPayment[s], 2)}`).join(', '));

  // Capacity: the payments per second each part's compose CPU limit carries at this cost.
  const limitOf: Record<string, { cpus: number; cost: (r: Reading) => number }> = {
    nginx: { cpus: COMPOSE_LIMITS.nginx.cpus, cost: (r) => r.nginx },
    'apps (both)': { cpus: COMPOSE_LIMITS.app1.cpus + COMPOSE_LIMITS.app2.cpus, cost: apps },
    postgres: { cpus: COMPOSE_LIMITS.postgres.cpus, cost: (r) => r.postgres },
    redis: { cpus: COMPOSE_LIMITS.redis.cpus, cost: (r) => r.redis },
  };
  for (const name of names.filter((n) => n !== 'minimal')) {
    const capacities = Object.entries(limitOf).map(([part, l]) => ({
      part,
      perSecond: l.cpus / (med(name, l.cost) / 1000),
    }));
    const least = capacities.reduce((a, b) => (b.perSecond < a.perSecond ? b : a));
    console.log(
      `capacity under the compose limits, ${name}: ` +
        capacities.map((c) => `${c.part} ${c.perSecond.toFixed(0)}/s`).join(', ') +
        `; the least: ${least.part}, ${least.perSecond.toFixed(0)} payments/s = ` +
        `${(least.perSecond / OFFICIAL_PEAK_PER_S).toFixed(2)}x the official peak (${OFFICIAL_PEAK_PER_S}/s)`,
    );
  }

  if (idle.length > 0) {
    console.log(`idle, ${idleSeconds} s without traffic, % of one CPU:`);
    for (const s of idle) {
      const pct = (x: number) => ((x / idleSeconds) * 100).toFixed(2);
      console.log(
        `  ${s.side.padEnd(8)} nginx ${pct(s.reading.nginx)}  instances ${s.instances.map(pct).join(' + ')} ` +
          `(http ${pct(s.reading['http thread'])}, core ${pct(s.reading['core thread'])}, ` +
          `other ${pct(s.reading['other threads'])})`,
      );
    }
    const pct = (x: number) => ((x / idleSeconds) * 100).toFixed(2);
    console.log(`  machine's postgres ${pct(idleServices.postgres)}, redis ${pct(idleServices.redis)} (all stacks)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
