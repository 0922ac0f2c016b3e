// The multi-host layout on one machine: Postgres, a Redis primary with two replicas, three sentinels,
// three app instances and Nginx, each on a host of its own (network.ts), and the two processor
// simulators in the root namespace (outside the deployment, as the official processors are), on the
// bridge's address. Two replicas, not one: the instances count a claim only once a replica has it
// (REDIS_MIN_REPLICAS=1), so after a fail-over the promoted primary still needs one.
import { until } from '../kit/until';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { BRIDGE_IP, createBridge, createHost, removeAll, type Host } from './network';
import { sentinelReady } from '../kit/servers';
import { startApp, startNginx, startPostgres, startRedis, startSentinel, type Part } from './services';
import { startProcessorSimulator, type RunningSimulator } from '../simulator/server';

export const MASTER_NAME = 'rinha';

export interface Layout {
  hosts: Record<string, Host>;
  parts: Record<string, Part>;
  /** Nginx's address, from the root namespace. */
  url: string;
  processors: { default: RunningSimulator; fallback: RunningSimulator };
  databaseUrl: string;
  sentinels: string;
  /** A part started again on its host (after a kill), with the settings it had. */
  restart(name: string): Part;
  stop(): Promise<void>;
}

function makeHosts(): Record<string, Host> {
  createBridge();
  const plan: [string, number][] = [
    ['postgres', 10],
    ['redis1', 21],
    ['redis2', 22],
    ['redis3', 23],
    ['sentinel1', 31],
    ['sentinel2', 32],
    ['sentinel3', 33],
    ['app1', 41],
    ['app2', 42],
    ['app3', 43],
    ['nginx', 50],
  ];
  return Object.fromEntries(plan.map(([name, octet]) => [name, createHost(name, octet)]));
}

async function stores(hosts: Record<string, Host>, dir: string, parts: Record<string, Part>): Promise<void> {
  parts.postgres = startPostgres(hosts.postgres, join(dir, 'pg'));
  parts.redis1 = startRedis(hosts.redis1, join(dir, 'redis'));
  parts.redis2 = startRedis(hosts.redis2, join(dir, 'redis'), hosts.redis1);
  parts.redis3 = startRedis(hosts.redis3, join(dir, 'redis'), hosts.redis1);
  for (const s of ['sentinel1', 'sentinel2', 'sentinel3'])
    parts[s] = startSentinel(hosts[s], hosts.redis1, MASTER_NAME, join(dir, 'sentinels'));
  const databaseUrl = `postgres://postgres@${hosts.postgres.ip}:5432/postgres`;
  await until(
    async () => {
      const pg = new Client({ connectionString: databaseUrl });
      await pg.connect();
      await pg.end();
      return true;
    },
    20_000,
    'postgres',
    100,
  );
  for (const r of ['redis2', 'redis3']) {
    const replica = new Redis(6379, hosts[r].ip, { lazyConnect: true, maxRetriesPerRequest: 1 });
    replica.on('error', () => undefined);
    await until(
      async () => /master_link_status:up/.test(await replica.info('replication')),
      20_000,
      `${r} to follow the primary`,
      100,
    ).finally(() => replica.disconnect());
  }
  for (const s of ['sentinel1', 'sentinel2', 'sentinel3'])
    await until(
      () => sentinelReady({ host: hosts[s].ip, port: 26379 }, MASTER_NAME, { replicas: 2, peers: 2 }),
      30_000,
      `${s} to know both replicas and its peers`,
      100,
    );
}

export async function startLayout(appEnv: Record<string, string> = {}): Promise<Layout> {
  const dir = mkdtempSync(join(tmpdir(), 'hosts-'));
  chmodSync(dir, 0o755); // Postgres runs as its own user, inside it
  const hosts = makeHosts();
  const parts: Record<string, Part> = {};
  const processors = {
    default: await startProcessorSimulator({ name: 'default', host: BRIDGE_IP, port: 8001, fee: 0.05 }),
    fallback: await startProcessorSimulator({ name: 'fallback', host: BRIDGE_IP, port: 8002, fee: 0.15 }),
  };
  const stop = async () => {
    for (const p of Object.values(parts)) p.signal('SIGKILL');
    await Promise.all([processors.default.close(), processors.fallback.close()]);
    removeAll();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await stores(hosts, dir, parts);
    const sentinels = ['sentinel1', 'sentinel2', 'sentinel3'].map((s) => `${hosts[s].ip}:26379`).join(',');
    const databaseUrl = `postgres://postgres@${hosts.postgres.ip}:5432/postgres`;
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_SENTINELS: sentinels,
      REDIS_MASTER_NAME: MASTER_NAME,
      REDIS_MIN_REPLICAS: '1',
      PROCESSOR_DEFAULT_URL: processors.default.url,
      PROCESSOR_FALLBACK_URL: processors.fallback.url,
      ...appEnv,
    };
    const apps = ['app1', 'app2', 'app3'];
    for (const a of apps) parts[a] = startApp(hosts[a], env);
    for (const a of apps)
      await until(async () => (await fetch(`http://${hosts[a].ip}:8080/health`)).ok, 20_000, a, 100);
    parts.nginx = startNginx(
      hosts.nginx,
      apps.map((a) => hosts[a]),
      join(dir, 'nginx'),
    );
    const url = `http://${hosts.nginx.ip}:9999`;
    await until(async () => (await fetch(`${url}/health`)).ok, 20_000, 'nginx', 100);
    const restart = (name: string): Part => {
      if (name.startsWith('app')) return (parts[name] = startApp(hosts[name], env));
      if (name === 'redis1') return (parts[name] = startRedis(hosts.redis1, join(dir, 'redis')));
      throw new Error(`no restart for ${name}`);
    };
    return { hosts, parts, url, processors, databaseUrl, sentinels, restart, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
