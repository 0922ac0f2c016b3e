// The official replay against 2, 3, 4 ... instances behind one Nginx, no limits: what more instances
// cost in coordination (they share one Redis and one Postgres) and whether every promise holds.
// On a two-core machine this is about correctness and cost, not speed. For each count: the replay's
// p99, inconsistencies, lag and failed POSTs; CPU per payment of the instances, Nginx, Postgres and
// Redis from /proc; Redis commands per payment. With --rounds R each count runs R times, the order
// rotating each round (so that no count always runs first on a machine that drifts), and the figures
// are medians with their spread.
// Postgres and Redis are the machine's processes by name: do not start or stop a postgres or
// redis-server during a run (one that stops takes its CPU out of the sum).
// Run: npm run build && node dist/tools/bench/cluster-replay.js [--instances 2,3,4] [--scale 0.34] [--rounds 1]
//        [--json FILE]
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { readStackCpu, redisCommands, type Reading } from './harness/counters';
import { withNativeStacks, type SideStack } from './harness/native-stacks';
import { readOptions, type BenchOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import { alternating, spread } from './harness/stats';
import type { SimulatorProcess } from './harness/simulator-process';
import { runReplay } from '../replay/run';

const OPTIONS = {
  instances: { kind: 'string', default: '2,3,4', help: 'instance counts, comma-separated' },
  scale: { kind: 'number', default: 0.34, help: "the official scenario's length times this" },
  rounds: { kind: 'number', default: 1, help: 'runs per count, the order rotating' },
} as const;
type Options = BenchOptions<typeof OPTIONS>;

/** One replay's figures: what the promises need, and the cost per payment. */
interface Run {
  p99: number;
  broken: number;
  instances: number;
  nginx: number;
  postgres: number;
  redis: number;
  commands: number;
}

type Counters = Reading & { commands: number };

async function read(s: SideStack, redis: Redis): Promise<Counters> {
  return { ...readStackCpu(s.stack), commands: await redisCommands(redis) };
}

async function replayOnce(o: Options, s: SideStack, simulators: SimulatorProcess, redis: Redis): Promise<Run> {
  const before = await read(s, redis);
  const replay = await runReplay({
    backendUrl: s.stack.url,
    processorUrls: simulators.urls,
    scale: o.scale,
    outDir: join(tmpdir(), `cluster-replay-${process.pid}`, `report-${s.name}`),
    participant: `cluster-${s.stack.instances.length}`,
  });
  const after = await read(s, redis);
  const r = replay.results;
  const payments = r.pagamentos_realizados_default.num_pagamentos + r.pagamentos_realizados_fallback.num_pagamentos;
  const ms = (f: (c: Counters) => number) => ((f(after) - f(before)) * 1000) / payments;
  return {
    p99: parseFloat(r.p99.valor),
    broken: r.multa.composicao.num_inconsistencias + r.lag.lag + r.pagamentos_solicitados.qtd_falha,
    instances: ms((c) => c['http thread'] + c['core thread'] + c['other threads']),
    nginx: ms((c) => c.nginx),
    postgres: ms((c) => c.postgres),
    redis: ms((c) => c.redis),
    commands: (after.commands - before.commands) / payments,
  };
}

function runLine(r: Run): string {
  return (
    `p99 ${r.p99.toFixed(2)} ms, broken promises (inconsistencies + lag + failed POSTs) ${r.broken}; ` +
    `ms CPU per payment: instances ${r.instances.toFixed(3)}, nginx ${r.nginx.toFixed(3)}, postgres ` +
    `${r.postgres.toFixed(3)}, redis ${r.redis.toFixed(3)}; Redis commands per payment ${r.commands.toFixed(2)}`
  );
}

function printCounts(runs: Map<number, Run[]>, report: BenchReport): void {
  const rows = [...runs].map(([n, rs]) => {
    const f = (k: keyof Run, d = 3) =>
      spread(
        rs.map((x) => x[k]),
        d,
      );
    const broken = `${rs.filter((x) => x.broken > 0).length} of ${rs.length}`;
    return [n, f('p99', 2), broken, f('instances'), f('nginx'), f('postgres'), f('redis'), f('commands', 2)];
  });
  const header = ['instances', 'p99 ms', 'runs broken', 'instances ms', 'nginx', 'postgres', 'redis', 'commands'];
  report.table('per count, median (lowest-highest); CPU in ms per payment', header, rows);
  report.figure('runs', Object.fromEntries(runs));
}

runBench(async () => {
  const o = readOptions('The official replay against 2, 3, 4 ... instances behind one Nginx', OPTIONS);
  const report = new BenchReport('cluster-replay', o);
  const counts = o.instances.split(',').map(Number);
  const runs = new Map<number, Run[]>(counts.map((n) => [n, []]));
  const redis = new Redis('redis://127.0.0.1:6379');
  report.line(`the replay at scale ${o.scale}, no limits, ${o.rounds} run(s) per count, the order rotating:`);
  try {
    for (const { round, side: n } of alternating(counts, o.rounds)) {
      const sides = [{ name: `${n}-${round}`, stack: { instances: n } }];
      const run = { bench: 'cluster-replay', basePort: 18681, sides, warmUsers: 0 };
      const r = await withNativeStacks(run, ([s], simulators) => replayOnce(o, s, simulators, redis));
      runs.get(n)!.push(r);
      report.line(`round ${round}, ${n} instances: ${runLine(r)}`);
    }
  } finally {
    redis.disconnect();
  }
  printCounts(runs, report);
  report.finish();
});
