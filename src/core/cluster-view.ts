// The cluster as one instance sees it (GET /cluster): every instance's last published status, whether its
// heartbeat is alive, and whether what it said is stale; its own status fresh, read from its actors now, so
// the page says the truth about the instance that answers even when Redis takes no writes.
import type { Config } from '../shared/config';
import type { InstanceStatuses } from '../store/instance-statuses';
import { FORGET_AFTER_MS } from '../store/instance-statuses';
import type { PendingPayments } from '../store/pending-payments';
import type { InstanceStatus } from './instance-status';
import { within } from '../shared/within';

/** How long a page waits for Redis before it shows this instance alone. */
const READ_MS = 500;

export interface InstanceView {
  status: InstanceStatus;
  /** Whether its heartbeat is alive in Redis (null: Redis did not answer). */
  live: boolean | null;
  /** How old its status is. */
  ageMs: number;
  /** Older than three heartbeats: it has stopped publishing (dead, cut off, or Redis takes no writes). */
  stale: boolean;
}

export interface ClusterView {
  time: string;
  answeredBy: string;
  redis: 'ok' | 'unreachable';
  staleAfterMs: number;
  instances: InstanceView[];
}

export interface ClusterSources {
  statuses: InstanceStatuses;
  pending: PendingPayments;
}

export async function clusterView(
  config: Config,
  own: InstanceStatus,
  { statuses, pending }: ClusterSources,
  now = Date.now(),
): Promise<ClusterView> {
  const staleAfterMs = 3 * config.heartbeatMs;
  const read = await within(Promise.all([statuses.readAll(), pending.liveInstances()]), READ_MS);
  const view = { time: new Date(now).toISOString(), answeredBy: own.instance, staleAfterMs };
  if (read === null)
    return { ...view, redis: 'unreachable', instances: [{ status: own, live: null, ageMs: 0, stale: false }] };
  const [published, liveIds] = read;
  const live = new Set(liveIds);
  const instances: InstanceView[] = [{ status: own, live: live.has(own.instance), ageMs: 0, stale: false }];
  const forgotten: string[] = [];
  for (const [id, text] of Object.entries(published)) {
    if (id === own.instance) continue;
    const status = parsed(text);
    const ageMs = status ? now - status.at : Infinity;
    if (!status || ageMs > FORGET_AFTER_MS) forgotten.push(id);
    else instances.push({ status, live: live.has(id), ageMs, stale: ageMs > staleAfterMs });
  }
  void statuses.forget(forgotten).catch(() => undefined);
  instances.sort((a, b) => a.status.instance.localeCompare(b.status.instance, 'en', { numeric: true }));
  return { ...view, redis: 'ok', instances };
}

function parsed(text: string): InstanceStatus | null {
  try {
    return JSON.parse(text) as InstanceStatus;
  } catch {
    return null;
  }
}
