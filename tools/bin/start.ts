// `npm start`: the whole system natively: Nginx, the app instances and, unless real processors are given, the
// two processor simulators. `npm start -- --help` lists the options (each also read from the environment); every
// other app setting (docs/settings.md) in the environment is passed to the instances as it is.
import { readOptions } from '../kit/options';
import { DEFAULT_STACK_OPTIONS as D, startStack } from '../launcher/stack';
import { usageTable } from '../launcher/resource-limits';

const o = readOptions('npm start -- [options]: the whole system natively', {
  port: { kind: 'number', default: 9999, env: 'PORT', help: "Nginx's port" },
  instances: { kind: 'number', default: 2, env: 'INSTANCES', help: 'app instances behind Nginx' },
  'default-url': {
    kind: 'optional',
    env: 'PROCESSOR_DEFAULT_URL',
    help: 'a real default processor (with --fallback-url; unset: the simulators start)',
  },
  'fallback-url': { kind: 'optional', env: 'PROCESSOR_FALLBACK_URL', help: 'a real fallback processor' },
  'simulator-default-port': { kind: 'number', default: 8001, env: 'SIMULATOR_DEFAULT_PORT', help: "default's port" },
  'simulator-fallback-port': { kind: 'number', default: 8002, env: 'SIMULATOR_FALLBACK_PORT', help: "fallback's port" },
  'database-url': { kind: 'string', default: D.databaseUrl, env: 'DATABASE_URL', help: 'Postgres' },
  'redis-url': { kind: 'string', default: D.redisUrl, env: 'REDIS_URL', help: 'Redis' },
  'redis-prefix': { kind: 'string', default: D.redisPrefix, env: 'REDIS_PREFIX', help: 'the prefix of every key' },
  'database-schema': { kind: 'string', default: D.databaseSchema, env: 'DATABASE_SCHEMA', help: 'the schema' },
  'run-dir': { kind: 'string', default: D.runDir, env: 'RUN_DIR', help: 'sockets, Nginx config, pid and log' },
  'compose-limits': {
    kind: 'flag',
    env: 'COMPOSE_LIMITS',
    help: "every part under the compose file's CPU and memory limits (cgroup v1, as root); usage printed on stop",
  },
});
const [defaultUrl, fallbackUrl] = [o['default-url'], o['fallback-url']];

startStack({
  port: o.port,
  instances: o.instances,
  processorUrls: defaultUrl && fallbackUrl ? { default: defaultUrl, fallback: fallbackUrl } : undefined,
  simulatorPorts: { default: o['simulator-default-port'], fallback: o['simulator-fallback-port'] },
  databaseUrl: o['database-url'],
  redisUrl: o['redis-url'],
  redisPrefix: o['redis-prefix'],
  databaseSchema: o['database-schema'],
  runDir: o['run-dir'],
  composeLimits: o['compose-limits'],
}).then(
  (stack) => {
    console.log(
      `ready: POST ${stack.url}/payments, GET ${stack.url}/payments-summary; per instance: ` +
        stack.instances.map((i) => `${stack.url}/instances/${i.name}/`).join(', ') +
        ' (actors.html, metrics, health)',
    );
    console.log('Ctrl-C stops everything');
    const startedAt = Date.now();
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      console.log('stopping…');
      const usage = stack.usage();
      if (usage)
        console.log(
          `what each part used, over ${((Date.now() - startedAt) / 1000).toFixed(0)} ` +
            `s:\n${usageTable(usage, (Date.now() - startedAt) / 1000)}`,
        );
      void stack.stop().then(() => process.exit(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  },
  (err: Error) => {
    console.error(`cannot start: ${err.message}`);
    process.exit(1);
  },
);
