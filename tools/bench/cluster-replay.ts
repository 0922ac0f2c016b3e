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
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { redisCommands, spread } from './cli';
import { startSimulatorProcess } from './simulator-process';
import { processCpu, servicesCpu } from '../launcher/cpu-counters';
import { startStack, type RunningStack } from '../launcher/stack';
import { runReplay } from '../replay/run';

interface Reading {
  instances: number;
  nginx: number;
  postgres: number;
  redis: number;
  commands: number;
}

async function read(stack: RunningStack, redis: Redis): Promise<Reading> {
  return {
    instances: stack.instances.reduce((s, i) => s + (i.pid ? processCpu(i.pid) : 0), 0),
    ...servicesCpu(stack.nginxPid),
    commands: await redisCommands(redis),
  };
}

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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { instances: { type: 'string' }, scale: { type: 'string' }, rounds: { type: 'string' } },
  });
  const counts = (values.instances ?? '2,3,4').split(',').map(Number);
  const scale = Number(values.scale ?? 0.34);
  const rounds = Number(values.rounds ?? 1);
  const dir = join(tmpdir(), `cluster-replay-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const redis = new Redis('redis://127.0.0.1:6379');
  const rows: string[] = [];
  const runs = new Map<number, Run[]>(counts.map((n) => [n, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const n of counts.map((_, k) => counts[(k + round) % counts.length])) {
        await replayOnce(n, round);
      }
    }
  } finally {
    redis.disconnect();
  }

  async function replayOnce(n: number, round: number): Promise<void> {
    const simulators = await startSimulatorProcess({ default: 18681, fallback: 18682 });
    const stack = await startStack({
      port: 18690,
      instances: n,
      processorUrls: simulators.urls,
      redisPrefix: `cluster-replay:${process.pid}:${n}:${round}:`,
      databaseSchema: `cluster_replay_${process.pid}_${n}_${round}`,
      runDir: join(dir, `${n}-${round}`),
      output: 'ignore',
      log: () => undefined,
      appEnv: { LOG_LEVEL: 'warn' },
    });
    try {
      const before = await read(stack, redis);
      const replay = await runReplay({
        backendUrl: stack.url,
        processorUrls: simulators.urls,
        scale,
        outDir: join(dir, `report-${n}-${round}`),
        participant: `cluster-${n}`,
      });
      const after = await read(stack, redis);
      const r = replay.results;
      const payments = r.pagamentos_realizados_default.num_pagamentos + r.pagamentos_realizados_fallback.num_pagamentos;
      const ms = (k: keyof Reading) => (((after[k] - before[k]) * 1000) / payments).toFixed(3);
      runs.get(n)!.push({
        p99: parseFloat(r.p99.valor),
        broken: r.multa.composicao.num_inconsistencias + r.lag.lag + r.pagamentos_solicitados.qtd_falha,
        instances: Number(ms('instances')),
        nginx: Number(ms('nginx')),
        postgres: Number(ms('postgres')),
        redis: Number(ms('redis')),
        commands: (after.commands - before.commands) / payments,
      });
      rows.push(
        `round ${round + 1}, ${n} instances: ${payments} payments, p99 ${r.p99.valor}, inconsistencies ` +
          `${r.multa.composicao.num_inconsistencias}, lag ${r.lag.lag}, failed POSTs ` +
          `${r.pagamentos_solicitados.qtd_falha}; ms CPU per payment: instances ${ms('instances')}, nginx ` +
          `${ms('nginx')}, postgres ${ms('postgres')}, redis ${ms('redis')}; Redis commands per payment ` +
          `${((after.commands - before.commands) / payments).toFixed(2)}`,
      );
      console.log(rows[rows.length - 1]);
    } finally {
      await stack.stop();
      simulators.stop();
    }
  }

  console.log(`\nthe replay at scale ${scale}, no limits, ${rounds} run(s) per count, the order rotating:`);
  for (const row of rows) console.log(row);
  console.log(`per count, median (lowest-highest) of ${rounds}:`);
  for (const [n, rs] of runs) {
    const f = (k: keyof Run, d = 3) =>
      spread(
        rs.map((x) => x[k]),
        d,
      );
    console.log(
      `${n} instances: p99 ${f('p99', 2)} ms; runs with an inconsistency, lag or failed POST: ` +
        `${rs.filter((x) => x.broken > 0).length} of ${rs.length}; ms CPU per payment: instances ` +
        `${f('instances')}, nginx ${f('nginx')}, postgres ${f('postgres')}, redis ${f('redis')}; Redis commands ` +
        `per payment ${f('commands', 2)}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
