// Starts the two Payment Processor simulators: default on 8001 and fallback on 8002.
// Settings (environment): SIMULATOR_HOST (127.0.0.1), SIMULATOR_DEFAULT_PORT (8001),
// SIMULATOR_FALLBACK_PORT (8002), SIMULATOR_DEFAULT_FEE (0.05), SIMULATOR_FALLBACK_FEE (0.15),
// SIMULATOR_TOKEN (123), SIMULATOR_HEALTH_WINDOW_MS (5000), SIMULATOR_DATABASE_URL (unset: memory).
import { startProcessorSimulator, type RunningSimulator } from '../simulator/server';

const env = process.env;
export const num = (name: string, dflt: number) => (env[name] ? Number(env[name]) : dflt);

/** What both simulators share, from the environment (also used by simulator.ts, one per container). */
export function commonSimulatorSettings() {
  return {
    host: env.SIMULATOR_HOST ?? '127.0.0.1',
    token: env.SIMULATOR_TOKEN ?? '123',
    healthWindowMs: num('SIMULATOR_HEALTH_WINDOW_MS', 5000),
    databaseUrl: env.SIMULATOR_DATABASE_URL || undefined,
  };
}

export async function startSimulatorPair(): Promise<RunningSimulator[]> {
  const common = commonSimulatorSettings();
  return Promise.all([
    startProcessorSimulator({
      ...common,
      name: 'default',
      port: num('SIMULATOR_DEFAULT_PORT', 8001),
      fee: num('SIMULATOR_DEFAULT_FEE', 0.05),
      schema: 'processor_default',
    }),
    startProcessorSimulator({
      ...common,
      name: 'fallback',
      port: num('SIMULATOR_FALLBACK_PORT', 8002),
      fee: num('SIMULATOR_FALLBACK_FEE', 0.15),
      schema: 'processor_fallback',
    }),
  ]);
}

if (require.main === module) {
  startSimulatorPair().then(
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
