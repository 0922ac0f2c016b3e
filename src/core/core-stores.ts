// The core's stores, opened in the order that lets a failed start leave nothing open:
// Postgres first (its schema migrated), then Redis (a command connection, a subscriber, and the heartbeat's).
import type Redis from 'ioredis';
import type { Config } from '../shared/config';
import type { Logger } from '../shared/log';
import { PendingPayments } from '../store/pending-payments';
import { connectRedis } from '../store/redis-connection';
import { PaymentsTable } from '../store/payments-table';
import { untilReachable } from '../store/until-reachable';

export interface CoreStores {
  table: PaymentsTable;
  redis: Redis;
  subscriber: Redis;
  /** The heartbeat's own connection: a WAIT for replicas blocks its connection for up to its time-out. */
  beat: Redis;
  pending: PendingPayments;
}

async function openTable(config: Config, log: Logger): Promise<PaymentsTable> {
  const table = PaymentsTable.connect(
    config.databaseUrl,
    config.databaseSchema,
    config.databasePoolSize,
    config.databaseQueryTimeoutMs,
    config.databaseSummaryPoolSize,
  );
  await untilReachable('postgres', () => table.migrate(), config.storeWaitMs, log).catch(async (err) => {
    await table.close();
    throw err;
  });
  return table;
}

function connectAll(config: Config, log: Logger): { redis: Redis; subscriber: Redis; beat: Redis } {
  const redisOptions = { maxRetriesPerRequest: 2, lazyConnect: false, enableAutoPipelining: true };
  const redis = connectRedis(config, redisOptions);
  const beat = connectRedis(config, { ...redisOptions, enableAutoPipelining: false });
  // No ready check on the subscriber: ioredis 5.8.2+ may send its INFO after the connection has begun to
  // subscribe, and Redis refuses it there (redis/ioredis#2037); resubscribing needs no check.
  const subscriber = connectRedis(config, {
    ...redisOptions,
    enableAutoPipelining: false,
    enableReadyCheck: false,
  });
  for (const r of [redis, subscriber, beat]) r.on('error', (err) => log.debug('redis-error', { err }));
  return { redis, subscriber, beat };
}

/** Resolves once both stores answer (each waited for up to STORE_WAIT_MS); rejects with all closed. */
export async function openStores(config: Config, log: Logger): Promise<CoreStores> {
  // Postgres first: if it cannot be reached in time, nothing else has been opened that would keep the process alive.
  const table = await openTable(config, log);
  const { redis, subscriber, beat } = connectAll(config, log);
  await untilReachable('redis', () => redis.ping(), config.storeWaitMs, log).catch(async (err) => {
    redis.disconnect();
    subscriber.disconnect();
    beat.disconnect();
    await table.close();
    throw err;
  });
  const replicas = { count: config.redisMinReplicas, timeoutMs: config.redisReplicaWaitMs };
  const pending = new PendingPayments(
    redis,
    config.redisPrefix,
    config.instanceId,
    config.dedupeWindowMs,
    replicas,
    beat,
  );
  await pending.forgetUnboundedHistory().catch((err) => log.warn('forget-unbounded-history-failed', { err }));
  return { table, redis, subscriber, beat, pending };
}
