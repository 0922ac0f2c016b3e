// Starts one Payment Processor simulator, as the official processor's container does: listening on
// all interfaces, port 8080. Used by the compose test, which runs one container per processor.
// Settings (environment): SIMULATOR_NAME (default | fallback), SIMULATOR_PORT (8080),
// SIMULATOR_FEE (0.05 for default, 0.15 for fallback), and the pair's shared ones (simulators.ts):
// SIMULATOR_TOKEN, SIMULATOR_HEALTH_WINDOW_MS, SIMULATOR_DATABASE_URL.
import { startProcessorSimulator } from '../simulator/server';
import { commonSimulatorSettings, num } from './simulators';

const name = process.env.SIMULATOR_NAME === 'fallback' ? 'fallback' : 'default';

startProcessorSimulator({
  ...commonSimulatorSettings(),
  host: '0.0.0.0',
  name,
  port: num('SIMULATOR_PORT', 8080),
  fee: num('SIMULATOR_FEE', name === 'default' ? 0.05 : 0.15),
  schema: `processor_${name}`,
}).then(
  (sim) => {
    console.log(`processor simulator ${sim.name} listening on ${sim.url}`);
    const stop = () => void sim.close().then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  },
  (err: Error) => {
    console.error(`cannot start the simulator: ${err.message}`);
    process.exit(1);
  },
);
