// The whole system on one machine, without Docker: processor simulators (unless real
// processor URLs are given), two app instances on Unix sockets, and Nginx in front.
import { until } from '../kit/until';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nativeNginxConfig, repoRoot } from './nginx-config';
import { pidsNamed } from './cpu-counters';
import {
  COMPOSE_APP_SETTINGS,
  COMPOSE_LIMITS,
  describeLimits,
  ResourceLimits,
  isPartName,
  type PartUsage,
} from './resource-limits';
import { emptyStore } from './fresh-store';
import { ensureNginx, ensurePortFree, ensurePostgres, ensureRedis, NGINX_PATHS } from './services';
import { startProcessorSimulator, type RunningSimulator } from '../simulator/server';
import { Client, request } from 'undici';

export interface StackOptions {
  /** Nginx's port. */
  port: number;
  /** How many app instances (app1 … appN) run behind Nginx; the compose file's deployment has two. */
  instances: number;
  /** Real processors; when absent, simulators are started on simulatorPorts. */
  processorUrls?: { default: string; fallback: string };
  simulatorPorts: { default: number; fallback: number };
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  databaseSchema: string;
  /** Sockets, Nginx's config, pid and log go here. */
  runDir: string;
  /** More environment for both app instances (any setting of src/shared/config.ts). */
  appEnv: Record<string, string>;
  /** Where the apps' and Nginx's output goes. */
  output: 'inherit' | 'ignore';
  log: (line: string) => void;
  /**
   * Run every part under the compose file's CPU and memory limits (Linux cgroup v1).
   * Postgres and Redis, the machine's own services, are moved into their groups while
   * the stack runs and moved back when it stops.
   */
  composeLimits: boolean;
  /** With composeLimits: every part's CPU limit times this (the saturation benchmark runs at a quarter). */
  cpuScale: number;
  /** Where to look for the nginx binary (tests point it elsewhere to see a machine without it). */
  nginxPaths: string[];
  /** Install Nginx from Debian's packages when it is missing and this user is root. */
  installNginx: boolean;
  /**
   * What each instance runs: this build's dist/src/main.js unless given (the cost benchmark runs an
   * earlier build's, or a minimal implementation). It must serve GET /health on SOCKET_PATH.
   */
  instanceScript?: string;
}

export interface RunningStack {
  url: string;
  processors: { default: string; fallback: string };
  instances: { name: string; socket: string; pid: number | undefined }[];
  /** Nginx's master process. */
  nginxPid: number | undefined;
  /** What each part used so far, when it runs under the compose limits. */
  usage(): PartUsage[] | null;
  stop(): Promise<void>;
}

/**
 * The settings every instance gets beyond where it connects: under the compose limits, the compose
 * file's too (the caller's win).
 */
export function appSettings(o: Pick<StackOptions, 'composeLimits' | 'appEnv'>): Record<string, string> {
  return { ...(o.composeLimits ? COMPOSE_APP_SETTINGS : {}), ...o.appEnv };
}

export const DEFAULT_STACK_OPTIONS: StackOptions = {
  port: 9999,
  instances: 2,
  simulatorPorts: { default: 8001, fallback: 8002 },
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/test',
  redisUrl: 'redis://127.0.0.1:6379',
  redisPrefix: 'rinha:',
  databaseSchema: 'public',
  runDir: '.run',
  appEnv: {},
  output: 'inherit',
  log: (line) => console.log(line),
  composeLimits: false,
  cpuScale: 1,
  nginxPaths: NGINX_PATHS,
  installNginx: true,
};

/**
 * Node's memory flags for an instance, the same as the Dockerfile's CMD (a test keeps them equal):
 * the heap is small (about 20 MB used under load), and V8's default young generation alone would
 * push the process past the 100 MB the compose file gives it.
 */
export const INSTANCE_NODE_FLAGS = ['--max-old-space-size=56', '--max-semi-space-size=2'];

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

/** The status of a GET, or 0 when nothing answers. */
async function healthStatus(url: string, socketPath?: string): Promise<number> {
  const dispatcher = socketPath ? new Client('http://localhost', { socketPath }) : undefined;
  try {
    const res = await request(url, { dispatcher });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return 0;
  } finally {
    await dispatcher?.close();
  }
}

/** SIGTERM, then SIGKILL after a grace period. */
async function terminate(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** What a stack has started so far: what stop() takes down, whatever point start-up reached. */
interface StackParts {
  children: ChildProcess[];
  simulators: RunningSimulator[];
  limits: ResourceLimits | null;
  nginx?: ChildProcess;
}

type Limited = (part: string, command: string, args: string[]) => [string, string[]];
type Instance = RunningStack['instances'][number];

function stopParts(parts: StackParts): () => Promise<void> {
  return async () => {
    // Nginx first (no new requests), then the apps (they flush and hand over), then the processors.
    if (parts.nginx) await terminate(parts.nginx, 'SIGQUIT', 5000);
    await Promise.all(parts.children.map((c) => terminate(c)));
    await Promise.all(parts.simulators.map((s) => s.close()));
    parts.limits?.remove();
  };
}

/** Every prerequisite first: a missing one stops the run before anything has started. Returns Nginx's path. */
async function checkPrerequisites(o: StackOptions): Promise<string> {
  const nginxPath = ensureNginx(o.log, o.nginxPaths, o.installNginx ? undefined : () => false);
  await ensurePortFree(o.port, 'Nginx');
  if (!o.processorUrls) {
    await ensurePortFree(o.simulatorPorts.default, 'the default simulator');
    await ensurePortFree(o.simulatorPorts.fallback, 'the fallback simulator');
  }
  await ensurePostgres(o.databaseUrl, o.log);
  await ensureRedis(o.redisUrl, o.log);
  if (!Number.isInteger(o.instances) || o.instances < 1) throw new Error(`instances: ${o.instances} is not 1 or more`);
  // The compose file's limits are for its deployment: two instances sharing 1.5 CPU with the rest.
  if (o.composeLimits && o.instances !== 2)
    throw new Error(`the compose limits are for two instances, not ${o.instances}: run without them`);
  return nginxPath;
}

/** The compose file's CPU and memory limits as control groups (times cpuScale), or null where they cannot be. */
function applyComposeLimits(o: StackOptions): ResourceLimits | null {
  if (!o.composeLimits) return null;
  const scaled = Object.fromEntries(
    Object.entries(COMPOSE_LIMITS).map(([part, l]) => [part, { ...l, cpus: l.cpus * o.cpuScale }]),
  ) as typeof COMPOSE_LIMITS;
  const created = ResourceLimits.create(scaled);
  if (typeof created === 'string') {
    o.log(`compose limits NOT applied: ${created}`);
    return null;
  }
  created.adopt('postgres', pidsNamed('postgres'));
  created.adopt('redis', pidsNamed('redis-server'));
  o.log(
    `compose limits applied (cgroups): ${describeLimits(scaled)} (Postgres and Redis: CPU limited, memory measured)`,
  );
  return created;
}

/** The processors' URLs: the real ones given, or two simulators started here (with our store emptied). */
async function processorsFor(o: StackOptions, parts: StackParts): Promise<{ default: string; fallback: string }> {
  if (o.processorUrls) return o.processorUrls;
  // The simulators keep nothing across restarts: start our store empty too, so that both sides agree.
  await emptyStore(o);
  o.log('our store emptied: the simulators start empty, and so does our summary');
  parts.simulators.push(await startProcessorSimulator({ name: 'default', port: o.simulatorPorts.default, fee: 0.05 }));
  parts.simulators.push(
    await startProcessorSimulator({ name: 'fallback', port: o.simulatorPorts.fallback, fee: 0.15 }),
  );
  const processors = { default: parts.simulators[0].url, fallback: parts.simulators[1].url };
  o.log(`processor simulators: default ${processors.default}, fallback ${processors.fallback}`);
  return processors;
}

function spawnInstance(
  o: StackOptions,
  main: string,
  instance: Instance,
  processors: { default: string; fallback: string },
  limited: Limited,
): ChildProcess {
  rmSync(instance.socket, { force: true });
  const [command, args] = limited(instance.name, process.execPath, [...INSTANCE_NODE_FLAGS, main]);
  const child = spawn(command, args, {
    env: {
      ...process.env,
      INSTANCE_ID: instance.name,
      SOCKET_PATH: instance.socket,
      DATABASE_URL: o.databaseUrl,
      DATABASE_SCHEMA: o.databaseSchema,
      REDIS_URL: o.redisUrl,
      REDIS_PREFIX: o.redisPrefix,
      PROCESSOR_DEFAULT_URL: processors.default,
      PROCESSOR_FALLBACK_URL: processors.fallback,
      ...appSettings(o),
    },
    stdio: ['ignore', o.output, o.output],
  });
  instance.pid = child.pid;
  child.once('exit', (code, signal) => o.log(`${instance.name} exited (${signal ?? code})`));
  return child;
}

/** Nginx with the project's nginx.conf rendered for these instances' sockets. */
function spawnNginx(o: StackOptions, nginxPath: string, runDir: string, names: string[], limited: Limited) {
  const nginxConf = join(runDir, 'nginx.conf');
  const errorLog = join(runDir, 'nginx-error.log');
  writeFileSync(nginxConf, nativeNginxConfig({ port: o.port, socketDir: runDir, errorLog, instances: names }));
  const daemonOff = `daemon off; pid ${join(runDir, 'nginx.pid')};`;
  const [command, args] = limited('nginx', nginxPath, ['-p', runDir, '-c', nginxConf, '-g', daemonOff]);
  const started = spawn(command, args, { stdio: ['ignore', o.output, o.output] });
  started.once('exit', (code, signal) => o.log(`nginx exited (${signal ?? code})`));
  return started;
}

/** Each instance on its own socket (an open route, so any build or admin token will do), then Nginx. */
async function untilServing(nginx: ChildProcess, instances: Instance[], url: string, runDir: string): Promise<void> {
  await until(
    async () => {
      if (nginx.exitCode !== null)
        throw new Error(`nginx exited with ${nginx.exitCode}: see ${join(runDir, 'nginx-error.log')}`);
      const statuses = await Promise.all([
        ...instances.map((i) => healthStatus('http://localhost/health', i.socket)),
        healthStatus(`${url}/health`),
      ]);
      return statuses.every((s) => s === 200);
    },
    20_000,
    `every instance to answer, and nginx on ${url}`,
  );
}

export async function startStack(overrides: Partial<StackOptions> = {}): Promise<RunningStack> {
  const o: StackOptions = { ...DEFAULT_STACK_OPTIONS, ...overrides };
  const root = repoRoot();
  const main = o.instanceScript ?? join(root, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build`);
  const runDir = resolve(root, o.runDir);
  mkdirSync(runDir, { recursive: true });
  const parts: StackParts = { children: [], simulators: [], limits: null };
  const stop = stopParts(parts);
  // Under the compose limits there are exactly two instances (checked first), each a part of the file.
  const limited: Limited = (part, command, args) =>
    parts.limits && isPartName(part) ? parts.limits.wrap(part, command, args) : [command, args];
  try {
    const nginxPath = await checkPrerequisites(o);
    parts.limits = applyComposeLimits(o);
    const processors = await processorsFor(o, parts);
    const names = Array.from({ length: o.instances }, (_, i) => `app${i + 1}`);
    const instances: Instance[] = names.map((name) => ({ name, socket: join(runDir, `${name}.sock`), pid: undefined }));
    for (const instance of instances) parts.children.push(spawnInstance(o, main, instance, processors, limited));
    await until(() => instances.every((i) => existsSync(i.socket)), 20_000, 'every app instance to listen');
    const nginx = (parts.nginx = spawnNginx(o, nginxPath, runDir, names, limited));
    const url = `http://127.0.0.1:${o.port}`;
    await untilServing(nginx, instances, url, runDir);
    o.log(`nginx on ${url} -> ${instances.map((i) => `${i.name} (${i.socket})`).join(', ')}`);
    return { url, processors, instances, nginxPid: nginx.pid, usage: () => parts.limits?.usage() ?? null, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
