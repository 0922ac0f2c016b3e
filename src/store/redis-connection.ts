// One way to open a Redis connection for the core: straight to REDIS_URL, or through Redis
// Sentinel (REDIS_SENTINELS), which names the current primary of REDIS_MASTER_NAME and, after a
// fail-over, the replica it promoted. ioredis asks the sentinels again whenever the connection
// drops, and with the fail-over detector it also hears the sentinels' +switch-master at once.
import Redis, { type RedisOptions } from 'ioredis';

export interface RedisTarget {
  redisUrl: string;
  /** `host:port,host:port`; empty for a plain Redis at redisUrl. */
  redisSentinels: string;
  redisMasterName: string;
}

/** The sentinels' addresses, from `host:port,host:port` (the port defaults to Sentinel's 26379). */
export function parseSentinels(list: string): { host: string; port: number }[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const colon = s.lastIndexOf(':');
      const host = colon > 0 ? s.slice(0, colon) : s;
      const port = colon > 0 ? Number(s.slice(colon + 1)) : 26379;
      if (!host || !Number.isInteger(port) || port <= 0) throw new Error(`REDIS_SENTINELS: "${s}" is not host:port`);
      return { host, port };
    });
}

export function connectRedis(target: RedisTarget, options: RedisOptions = {}): Redis {
  if (!target.redisSentinels) return new Redis(target.redisUrl, options);
  return new Redis({
    ...options,
    sentinels: parseSentinels(target.redisSentinels),
    name: target.redisMasterName,
    role: 'master',
    failoverDetector: true,
  });
}
