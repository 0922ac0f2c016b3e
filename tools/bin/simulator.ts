// One Payment Processor simulator, as the official processor's container runs: on all interfaces, port 8080.
// The compose test runs one container per processor. `--help` lists the options (or their environment names).
import { readOptions } from '../kit/options';
import { startProcessorSimulator } from '../simulator/server';
import { COMMON_SIMULATOR_OPTIONS } from './simulators';

const o = readOptions('node dist/tools/bin/simulator.js [options]: one processor simulator', {
  ...COMMON_SIMULATOR_OPTIONS,
  host: { ...COMMON_SIMULATOR_OPTIONS.host, default: '0.0.0.0' },
  name: { kind: 'string', default: 'default', env: 'SIMULATOR_NAME', help: 'default or fallback' },
  port: { kind: 'number', default: 8080, env: 'SIMULATOR_PORT', help: 'the port to listen on' },
  fee: { kind: 'optional', env: 'SIMULATOR_FEE', help: 'its fee (0.05 for default, 0.15 for fallback)' },
});
const name = o.name === 'fallback' ? 'fallback' : 'default';

startProcessorSimulator({
  host: o.host,
  token: o.token,
  healthWindowMs: o['health-window'],
  databaseUrl: o.database,
  name,
  port: o.port,
  fee: o.fee === undefined ? (name === 'default' ? 0.05 : 0.15) : Number(o.fee),
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
