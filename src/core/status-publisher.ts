// Publishes this instance's status (instance-status.ts) to Redis every HEARTBEAT_MS, for the cluster page
// of whichever instance a browser asks, and answers that page from here.
import type { SupervisorSnapshot } from '../actors/supervisor/protocol';
import type { Config } from '../shared/config';
import { InstanceStatuses } from '../store/instance-statuses';
import type { PendingPayments } from '../store/pending-payments';
import type Redis from 'ioredis';
import { clusterView, type ClusterView } from './cluster-view';
import { everyTurn } from '../cluster/heartbeat';
import type { IntakeGate } from './intake-gate';
import { StatusBoard } from './instance-status';

export interface StatusPublishing {
  cluster(): Promise<ClusterView>;
  stop(): void;
}

export function startStatusPublishing(
  config: Config,
  stores: { redis: Redis; pending: PendingPayments },
  gate: IntakeGate,
  inspect: () => Promise<SupervisorSnapshot>,
): StatusPublishing {
  const board = new StatusBoard(config.instanceId);
  const statuses = new InstanceStatuses(stores.redis, config.redisPrefix);
  const stop = everyTurn(
    config.heartbeatMs,
    async () => {
      const status = board.record(await inspect(), gate.refusal, Date.now());
      await statuses.publish(config.instanceId, JSON.stringify(status));
    },
    // Not logged: a status that cannot be written (Redis full, down) shows as stale on the page, and the
    // claims that fail for the same reason already say so.
    () => undefined,
  );
  return {
    cluster: async () => {
      const own = board.status(await inspect(), gate.refusal, Date.now());
      return clusterView(config, own, { statuses, pending: stores.pending });
    },
    stop,
  };
}
