// `npm run simulators -- [options]` (`--help` lists them): the two Payment Processor simulators, default on 8001
// and fallback on 8002. Every option can also come from the environment (its name in the list).
import { readOptions, type OptionSpec } from '../kit/options';
import { startProcessorSimulator, type RunningSimulator } from '../simulator/server';

/** What both simulators share (also read by simulator.ts, one per container). */
export const COMMON_SIMULATOR_OPTIONS = {
  host: { kind: 'string', default: '127.0.0.1', env: 'SIMULATOR_HOST', help: 'the address to listen on' },
  token: { kind: 'string', default: '123', env: 'SIMULATOR_TOKEN', help: 'the admin token, X-Rinha-Token' },
  'health-window': {
    kind: 'number',
    default: 5000,
    env: 'SIMULATOR_HEALTH_WINDOW_MS',
    help: 'ms between two health checks a client may make',
  },
  database: {
    kind: 'optional',
    env: 'SIMULATOR_DATABASE_URL',
    help: 'keep the payments in this Postgres (unset: in memory)',
  },
} as const satisfies Record<string, OptionSpec>;

const PAIR_OPTIONS = {
  ...COMMON_SIMULATOR_OPTIONS,
  'default-port': { kind: 'number', default: 8001, env: 'SIMULATOR_DEFAULT_PORT', help: "default's port" },
  'fallback-port': { kind: 'number', default: 8002, env: 'SIMULATOR_FALLBACK_PORT', help: "fallback's port" },
  'default-fee': { kind: 'number', default: 0.05, env: 'SIMULATOR_DEFAULT_FEE', help: "default's fee" },
  'fallback-fee': { kind: 'number', default: 0.15, env: 'SIMULATOR_FALLBACK_FEE', help: "fallback's fee" },
} as const satisfies Record<string, OptionSpec>;

export function startSimulatorPair(argv: string[] = []): Promise<RunningSimulator[]> {
  const o = readOptions('npm run simulators -- [options]: the two processor simulators', PAIR_OPTIONS, [], argv);
  const common = { host: o.host, token: o.token, healthWindowMs: o['health-window'], databaseUrl: o.database };
  return Promise.all([
    startProcessorSimulator({
      ...common,
      name: 'default',
      port: o['default-port'],
      fee: o['default-fee'],
      schema: 'processor_default',
    }),
    startProcessorSimulator({
      ...common,
      name: 'fallback',
      port: o['fallback-port'],
      fee: o['fallback-fee'],
      schema: 'processor_fallback',
    }),
  ]);
}

if (require.main === module) {
  startSimulatorPair(process.argv.slice(2)).then(
    (sims) => {
      for (const s of sims) console.log(`processor simulator ${s.name} listening on ${s.url}`);
      const stop = () => void Promise.all(sims.map((s) => s.close())).then(() => process.exit(0));
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    },
    (err: Error) => {
      console.error(`cannot start the simulators: ${err.message}`);
      process.exit(1);
    },
  );
}
