// How the tools and the tests start Redis, sentinels and Nginx of their own (the launcher, the hosts test's
// namespaces, the benchmarks' baselines, the test fixtures): one command line each, and one readiness check
// for a sentinel. Where and how the process runs (a namespace, a child of the test) is the caller's.
import { existsSync } from 'node:fs';
import Redis from 'ioredis';

/** The machine's redis-server (Debian's; run with --sentinel it is redis-sentinel). */
export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find(existsSync) ?? 'redis-server';

/** A redis-server that keeps nothing on disk, in `dir` (a replica writes the primary's snapshot there). */
export function redisServerArgs(o: {
  port: number;
  bind: string;
  dir: string;
  replicaOf?: { host: string; port: number };
  protectedMode?: boolean;
}): string[] {
  const args = ['--port', String(o.port), '--bind', o.bind, '--save', '', '--appendonly', 'no', '--dir', o.dir];
  if (o.protectedMode === false) args.push('--protected-mode', 'no');
  if (o.replicaOf) args.push('--replicaof', o.replicaOf.host, String(o.replicaOf.port));
  return args;
}

/** A sentinel's configuration file: watching `primary` as `masterName`, quorum 2, quick to act. */
export function sentinelConf(o: {
  port: number;
  bind: string;
  dir: string;
  masterName: string;
  primary: { host: string; port: number };
  downAfterMs: number;
  protectedMode?: boolean;
}): string {
  const lines = [
    `bind ${o.bind}`,
    `port ${o.port}`,
    ...(o.protectedMode === false ? ['protected-mode no'] : []),
    `dir ${o.dir}`,
    `sentinel monitor ${o.masterName} ${o.primary.host} ${o.primary.port} 2`,
    `sentinel down-after-milliseconds ${o.masterName} ${o.downAfterMs}`,
    `sentinel failover-timeout ${o.masterName} 5000`,
    `sentinel parallel-syncs ${o.masterName} 1`,
  ];
  return lines.join('\n') + '\n';
}

/**
 * Whether a sentinel can replace a dead primary yet: it must know every replica (it learns them from the
 * primary's INFO, every 10 s) and its peers (from their hellos) before a fail-over can happen.
 */
export async function sentinelReady(
  address: { host: string; port: number },
  masterName: string,
  want: { replicas: number; peers: number },
): Promise<boolean> {
  const sentinel = new Redis(address.port, address.host, { lazyConnect: true, maxRetriesPerRequest: 1 });
  sentinel.on('error', () => undefined);
  try {
    const flat = (await sentinel.call('SENTINEL', 'master', masterName)) as string[];
    const field = (name: string) => Number(flat[flat.indexOf(name) + 1]);
    return field('num-slaves') === want.replicas && field('num-other-sentinels') === want.peers;
  } finally {
    sentinel.disconnect();
  }
}

/** Nginx in the foreground, with its prefix, configuration and pid file in `dir`. */
export function nginxArgs(dir: string, confFile: string, pidFile: string): string[] {
  return ['-p', dir, '-c', confFile, '-g', `daemon off; pid ${pidFile};`];
}
