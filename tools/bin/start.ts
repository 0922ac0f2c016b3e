// `npm start`: the whole system natively. Settings (environment):
//   PORT (9999)                      Nginx's port
//   PROCESSOR_DEFAULT_URL / PROCESSOR_FALLBACK_URL   real processors; when both are unset,
// simulators start on SIMULATOR_DEFAULT_PORT (8001) and SIMULATOR_FALLBACK_PORT (8002)
//   DATABASE_URL, REDIS_URL, REDIS_PREFIX, DATABASE_SCHEMA   as for an app instance
//   RUN_DIR (.run)                   sockets, Nginx config, pid and log
//   COMPOSE_LIMITS=1 (or --compose-limits)   every part under the compose file's CPU and memory
//                                    limits (Linux cgroup v1, as root); usage per part printed on stop
//   INSTANCES=N (or --instances N)   app instances behind Nginx (default 2, as in the compose file)
// Every other app setting (docs/settings.md) is passed to both instances as it is.
import { parseArgs } from 'node:util';
import { DEFAULT_STACK_OPTIONS, startStack } from '../launcher/stack';
import { usageTable } from '../launcher/resource-limits';

const env = process.env;
const { values: args } = parseArgs({
  options: { 'compose-limits': { type: 'boolean' }, instances: { type: 'string' } },
});
const processorUrls =
  env.PROCESSOR_DEFAULT_URL && env.PROCESSOR_FALLBACK_URL
    ? { default: env.PROCESSOR_DEFAULT_URL, fallback: env.PROCESSOR_FALLBACK_URL }
    : undefined;

startStack({
  port: Number(env.PORT ?? 9999),
  instances: Number(args.instances ?? env.INSTANCES ?? 2),
  processorUrls,
  simulatorPorts: {
    default: Number(env.SIMULATOR_DEFAULT_PORT ?? 8001),
    fallback: Number(env.SIMULATOR_FALLBACK_PORT ?? 8002),
  },
  databaseUrl: env.DATABASE_URL ?? DEFAULT_STACK_OPTIONS.databaseUrl,
  redisUrl: env.REDIS_URL ?? DEFAULT_STACK_OPTIONS.redisUrl,
  redisPrefix: env.REDIS_PREFIX ?? DEFAULT_STACK_OPTIONS.redisPrefix,
  databaseSchema: env.DATABASE_SCHEMA ?? DEFAULT_STACK_OPTIONS.databaseSchema,
  runDir: env.RUN_DIR ?? DEFAULT_STACK_OPTIONS.runDir,
  composeLimits: args['compose-limits'] === true || /^(1|true|yes)$/i.test(env.COMPOSE_LIMITS ?? ''),
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
