// The contract's deployment rules, checked on the file itself (fast, no engine needed). The same file
// booted in a real Docker engine: `npm run compose:test` (tools/engine/compose-test.ts).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { appSettings, INSTANCE_NODE_FLAGS } from '../../tools/launcher/stack';
import { COMPOSE_APP_SETTINGS, COMPOSE_LIMITS } from '../../tools/launcher/resource-limits';

const root = join(__dirname, '..', '..');
/** The parts of a compose service these checks read (every field optional, as in a compose file). */
interface ComposeService {
  environment?: Record<string, string>;
  restart?: string;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string[]; interval?: string };
  networks?: string[];
  ports?: string[];
  privileged?: boolean;
  network_mode?: string;
  logging?: { driver?: string; options?: Record<string, string> };
  deploy?: { mode?: string; replicas?: number; resources?: { limits?: { cpus?: string; memory?: string } } };
}

const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  networks: Record<string, { driver?: string; external?: boolean } | null>;
};
const services = Object.entries(compose.services);

function megabytes(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*MB$/.exec(String(value));
  if (!m) throw new Error(`memory limit "${value}" is not in MB`);
  return Number(m[1]);
}

/** What an instance's environment says about where it connects, who it is and how much it logs: not tuning. */
const PLACE_AND_NAME = [
  'DATABASE_URL',
  'REDIS_URL',
  'PROCESSOR_DEFAULT_URL',
  'PROCESSOR_FALLBACK_URL',
  'ADMIN_TOKEN',
  'INSTANCE_ID',
  'SOCKET_PATH',
  'LOG_LEVEL',
];

t.test('every service has CPU and memory limits, together at most 1.5 CPU and 350 MB', async (t) => {
  let cpus = 0;
  let memory = 0;
  for (const [name, s] of services) {
    const limits = s.deploy?.resources?.limits;
    t.ok(limits?.cpus && limits?.memory, `${name} declares deploy.resources.limits.cpus and memory`);
    t.match(String(limits?.memory), /^\d+(\.\d+)?MB$/, `${name}'s memory is declared in MB`);
    cpus += Number(limits?.cpus ?? 0);
    memory += megabytes(limits?.memory ?? '0MB');
  }
  t.ok(cpus <= 1.5 + 1e-9, `CPU limits sum to ${cpus.toFixed(2)} <= 1.5`);
  t.ok(memory <= 350, `memory limits sum to ${memory} MB <= 350 MB`);
});

t.test("every service's log is rotated, so a long run cannot fill the disk", async (t) => {
  for (const [name, s] of services) {
    t.equal(s.logging?.driver, 'json-file', `${name} logs to json-file`);
    const size = /^(\d+)m$/.exec(s.logging?.options?.['max-size'] ?? '');
    const files = Number(s.logging?.options?.['max-file']);
    t.ok(size && files > 0 && Number(size[1]) * files <= 100, `${name} keeps at most 100 MB of log`);
  }
});

t.test('the native launcher limits each part as the compose file does (npm start -- --compose-limits)', async (t) => {
  const fromFile = Object.fromEntries(
    services.map(([name, s]) => [
      name,
      {
        cpus: Number(s.deploy?.resources?.limits?.cpus),
        memoryMb: megabytes(s.deploy?.resources?.limits?.memory ?? ''),
      },
    ]),
  );
  t.same(COMPOSE_LIMITS, fromFile);
});

t.test('two app instances (not replicas) behind a load balancer on port 9999', async (t) => {
  const apps = services.filter(([, s]) => s.environment?.PROCESSOR_DEFAULT_URL);
  t.equal(apps.length, 2, 'exactly two app services');
  for (const [name, s] of services) {
    t.notOk(s.deploy?.replicas && s.deploy.replicas > 1, `${name} is not replicated`);
    t.notOk(s.deploy?.mode === 'replicated' && s.deploy?.replicas, `${name} has no replicated mode`);
    t.notOk(s.privileged, `${name} is not privileged`);
    t.not(s.network_mode, 'host', `${name} does not use host networking`);
  }
  const published = services.filter(([, s]) => (s.ports ?? []).length > 0);
  t.same(
    published.map(([name]) => name),
    ['nginx'],
    'only the load balancer publishes a port',
  );
  t.same(compose.services.nginx.ports, ['9999:9999'], 'it publishes 9999');
  for (const [name, s] of apps) {
    t.equal(
      s.environment?.PROCESSOR_DEFAULT_URL,
      'http://payment-processor-default:8080',
      `${name} uses the default processor's Docker address`,
    );
    t.equal(
      s.environment?.PROCESSOR_FALLBACK_URL,
      'http://payment-processor-fallback:8080',
      `${name} uses the fallback processor's Docker address`,
    );
    t.ok(s.networks?.includes('payment-processor'), `${name} joins the processors' network`);
    t.not(s.environment?.INSTANCE_ID, undefined, `${name} has an INSTANCE_ID`);
  }
  t.not(apps[0][1].environment?.INSTANCE_ID, apps[1][1].environment?.INSTANCE_ID, 'the instances have different ids');
  t.not(apps[0][1].environment?.SOCKET_PATH, apps[1][1].environment?.SOCKET_PATH, 'and different sockets');
});

t.test("the native launcher gives the instances the compose file's settings under its limits", async (t) => {
  for (const name of ['app1', 'app2']) {
    const tuning = Object.fromEntries(
      Object.entries(compose.services[name].environment ?? {}).filter(([k]) => !PLACE_AND_NAME.includes(k)),
    );
    t.same(tuning, COMPOSE_APP_SETTINGS, `${name}'s settings are COMPOSE_APP_SETTINGS`);
  }
  t.equal(COMPOSE_APP_SETTINGS.INTAKE_FLUSH_MS, '10', 'the contest batches the intake over 10 ms');
  t.same(appSettings({ composeLimits: true, appEnv: {} }), COMPOSE_APP_SETTINGS, 'applied with --compose-limits');
  t.same(appSettings({ composeLimits: false, appEnv: {} }), {}, 'and not without');
  t.same(
    appSettings({ composeLimits: true, appEnv: { INTAKE_FLUSH_MS: '0' } }).INTAKE_FLUSH_MS,
    '0',
    "the caller's settings win",
  );
});

t.test('a crashed container comes back by itself; Nginx starts once both instances listen', async (t) => {
  for (const [name, s] of services) t.equal(s.restart, 'unless-stopped', `${name} restarts unless stopped`);
  t.same(
    compose.services.nginx.depends_on,
    { app1: { condition: 'service_healthy' }, app2: { condition: 'service_healthy' } },
    'Nginx waits for both instances to be healthy (the deployment serves from its first request)',
  );
  for (const app of ['app1', 'app2']) {
    t.match(
      compose.services[app].healthcheck?.test?.join(' '),
      /test -S "\$\$SOCKET_PATH"/,
      `${app}: healthy once it listens`,
    );
    // Nothing waits on the stores' healthchecks (the instances wait for them, STORE_WAIT_MS).
    t.same(compose.services[app].depends_on, ['postgres', 'redis'], `${app} starts with the stores`);
  }
  const seconds = (interval?: string) => Number(/^(\d+)s$/.exec(interval ?? '')?.[1] ?? 0);
  for (const store of ['postgres', 'redis'])
    t.ok(
      seconds(compose.services[store].healthcheck?.interval) >= 30,
      `${store}'s healthcheck runs at most every 30 s (each costs ~17 ms of CPU inside its quota)`,
    );
});

t.test('networks: the external payment-processor network and a bridge of our own', async (t) => {
  t.same(compose.networks['payment-processor'], { external: true }, 'payment-processor is external');
  const own = Object.entries(compose.networks).filter(([name]) => name !== 'payment-processor');
  t.ok(own.length > 0 && own.every(([, n]) => (n?.driver ?? 'bridge') === 'bridge'), 'our networks are bridges');
});

t.test("nginx.conf sends to both instances' sockets, as named in the compose file", async (t) => {
  const conf = readFileSync(join(root, 'nginx.conf'), 'utf8');
  t.match(conf, /listen 9999/, 'listens on 9999');
  for (const app of ['app1', 'app2'])
    t.match(
      conf,
      new RegExp(`server unix:${compose.services[app].environment?.SOCKET_PATH}`),
      `upstream includes ${app}'s socket`,
    );
});

t.test('info.json has the fields the submission needs', async (t) => {
  const info = JSON.parse(readFileSync(join(root, 'info.json'), 'utf8')) as Record<string, unknown>;
  for (const field of [
    'name',
    'social',
    'source-code-repo',
    'langs',
    'storages',
    'messaging',
    'load-balancers',
    'other-technologies',
  ])
    t.ok(field in info, `info.json has ${field}`);
});

t.test('the image runs an instance with the same Node flags as the native launcher', async (t) => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
  t.ok(cmd, 'Dockerfile has an exec-form CMD');
  t.same(JSON.parse(cmd![1]), ['node', ...INSTANCE_NODE_FLAGS, 'dist/src/main.js']);
});

t.test('the durable variant: Postgres syncs every commit, Redis appends every command; limits unchanged', async (t) => {
  const durable = parse(readFileSync(join(root, 'docker-compose.durable.yml'), 'utf8')) as {
    services: Record<string, ComposeService & { command?: string; volumes?: string[] }>;
    volumes?: Record<string, unknown>;
  };
  const settings = (command: string) =>
    Object.fromEntries([...command.matchAll(/-c (\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  const postgres = settings(durable.services.postgres?.command ?? '');
  t.match(postgres, { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' }, 'Postgres durable');
  t.notOk('autovacuum' in postgres && postgres.autovacuum === 'off', 'autovacuum not turned off');
  const redis = durable.services.redis?.command ?? '';
  t.match(redis, /--appendonly yes/, 'Redis appends every command to its file');
  t.match(redis, /--appendfsync everysec/, 'synced once a second');
  t.notMatch(redis, /--save ""/, 'and nothing turns persistence off');
  for (const [name, path] of [
    ['postgres', '/var/lib/postgresql/data'],
    ['redis', '/data'],
  ]) {
    const volume = durable.services[name]?.volumes?.find((v) => v.endsWith(`:${path}`));
    t.ok(volume, `${name} keeps its data in a volume at ${path}`);
    t.ok(durable.volumes && volume!.split(':')[0] in durable.volumes, `${name}'s volume is declared`);
  }
  t.same(
    Object.values(durable.services).filter((s) => s.deploy),
    [],
    "no service's limits changed: the base file's 1.5 CPU and 350 MB hold",
  );
  t.same(
    Object.keys(durable.services).sort(),
    ['app1', 'app2', 'postgres', 'redis'],
    'only the stores change, and the intake',
  );
  for (const app of ['app1', 'app2']) {
    const { ADMIN_TOKEN, ...rest } = durable.services[app]?.environment ?? {};
    t.same(
      rest,
      { INTAKE_FLUSH_MS: '0', ACK_WHEN_DURABLE: 'true' },
      `${app} hands every payment to Redis at once, and answers once it is there`,
    );
    // Compose stops with this message when ADMIN_TOKEN is unset or empty; compose:test runs it.
    t.match(ADMIN_TOKEN, /^\$\{ADMIN_TOKEN:\?ADMIN_TOKEN must be set[^}]+\}$/, `${app}: no start without a token`);
  }
});
