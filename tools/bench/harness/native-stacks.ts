// Native stacks side by side for a benchmark: one simulator process (its own, so that it does not
// share the load generator's event loop), then one stack per side (our nginx.conf, two instances),
// each with its own port, Redis prefix, Postgres schema and run directory, warmed up at full load
// (a stack's first runs are slower: the JIT). Afterwards every stack and the simulators stop, and
// what the sides stored (Redis keys, schemas) is removed.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { vuPatternSamples } from './load';
import { startSimulatorProcess, type SimulatorProcess } from './simulator-process';
import { DEFAULT_STACK_OPTIONS, startStack, type RunningStack, type StackOptions } from '../../launcher/stack';

export interface StackSide {
  name: string;
  /** Settings given to this side's instances (LOG_LEVEL=warn unless set). */
  appEnv?: Record<string, string>;
  /** Another build's entry point, or a baseline instance (harness/minimal-instance.js). */
  instanceScript?: string;
  /** Anything else of the launcher's options (compose limits, instance count...). */
  stack?: Partial<StackOptions>;
}

export interface SideStack {
  name: string;
  stack: RunningStack;
  /** Its Redis prefix and Postgres schema (removed afterwards). */
  prefix: string;
  schema: string;
}

export interface StacksRun {
  /** The bench's name: in prefixes, schemas and the run directory. */
  bench: string;
  /** Simulators on basePort and basePort+1, the stacks from basePort+2. */
  basePort: number;
  sides: StackSide[];
  /** Virtual users of the warm-up (5 s of the replay's pattern); 0 for none. */
  warmUsers: number;
}

function prefixOf(run: StacksRun, i: number): string {
  return `${run.bench}:${process.pid}:${i}:`;
}

function schemaOf(run: StacksRun, i: number): string {
  return `${run.bench.replace(/\W/g, '_')}_${process.pid}_${i}`;
}

async function startSide(run: StacksRun, simulators: SimulatorProcess, side: StackSide, i: number) {
  const stack = await startStack({
    port: run.basePort + 2 + i,
    processorUrls: simulators.urls,
    redisPrefix: prefixOf(run, i),
    databaseSchema: schemaOf(run, i),
    runDir: join(tmpdir(), `${run.bench}-${process.pid}`, side.name.replace(/\W/g, '_')),
    output: 'ignore',
    log: () => undefined,
    appEnv: { LOG_LEVEL: 'warn', ...side.appEnv },
    instanceScript: side.instanceScript,
    ...side.stack,
  });
  if (run.warmUsers > 0) await vuPatternSamples([{ url: stack.url }], run.warmUsers, 5);
  return stack;
}

/** Removes what one side stored: an earlier build's unbounded dedupe set alone held megabytes of Redis. */
async function removeStored(run: StacksRun, side: StackSide, i: number): Promise<void> {
  const redisUrl = side.appEnv?.REDIS_URL ?? side.stack?.redisUrl ?? DEFAULT_STACK_OPTIONS.redisUrl;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const keys = await redis.keys(`${prefixOf(run, i)}*`).catch(() => [] as string[]);
  if (keys.length > 0) await redis.del(...keys).catch(() => 0);
  redis.disconnect();
  const pg = new Client({ connectionString: side.stack?.databaseUrl ?? DEFAULT_STACK_OPTIONS.databaseUrl });
  await pg.connect();
  await pg.query(`DROP SCHEMA IF EXISTS ${schemaOf(run, i)} CASCADE`).catch(() => undefined);
  await pg.end();
}

/** Starts the simulators and every side's stack, runs `body`, then stops and cleans up, whatever happened. */
export async function withNativeStacks<T>(
  run: StacksRun,
  body: (stacks: SideStack[], simulators: SimulatorProcess) => Promise<T>,
): Promise<T> {
  mkdirSync(join(tmpdir(), `${run.bench}-${process.pid}`), { recursive: true });
  const simulators = await startSimulatorProcess({ default: run.basePort, fallback: run.basePort + 1 });
  const stacks: SideStack[] = [];
  try {
    for (const [i, side] of run.sides.entries())
      stacks.push({
        name: side.name,
        stack: await startSide(run, simulators, side, i),
        prefix: prefixOf(run, i),
        schema: schemaOf(run, i),
      });
    return await body(stacks, simulators);
  } finally {
    await Promise.all(stacks.map((s) => s.stack.stop()));
    simulators.stop();
    for (const [i, side] of run.sides.entries()) await removeStored(run, side, i);
  }
}
