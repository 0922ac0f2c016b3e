// What every part of the pending payments shares: the Redis connections, the key names (pending-payments.ts lays
// them out), the dedupe epoch this instance knows, and how many replicas must confirm a write.
import type Redis from 'ioredis';
import { DedupeLostError, ReplicaLagError, type ReplicaWait } from './pending-errors';
import { WINDOW_SLICES } from './pending-scripts';

export class PendingStore {
  /** The marker's value once the dedupe memory is known complete (null: not checked yet). */
  epoch: string | null = null;
  /** A slice of the dedupe window, in ms (as the scripts take it). */
  readonly sliceMs: string;

  constructor(
    readonly redis: Redis,
    readonly prefix: string,
    readonly instanceId: string,
    windowMs: number,
    private readonly replicas: ReplicaWait,
    /** The heartbeat's connection: never behind a WAIT (claims', assignments' and probes' own). */
    readonly beat: Redis,
  ) {
    this.sliceMs = String(Math.max(1, Math.ceil(windowMs / WINDOW_SLICES)));
  }

  pendingKey(instance = this.instanceId): string {
    return `${this.prefix}pending:${instance}`;
  }

  leftoverKey(instance = this.instanceId): string {
    return `${this.prefix}leftover:${instance}`;
  }

  aliveKey(instance: string): string {
    return `${this.prefix}alive:${instance}`;
  }

  adoptingKey(): string {
    return `${this.prefix}adopting:${this.instanceId}`;
  }

  instancesKey(): string {
    return `${this.prefix}instances`;
  }

  seenPrefix(): string {
    return `${this.prefix}seen:`;
  }

  epochKey(): string {
    return `${this.prefix}epoch`;
  }

  refusedForEpoch(err: unknown): never {
    throw /\bEPOCH\b/.test(String((err as Error)?.message)) ? new DedupeLostError() : err;
  }

  /**
   * Resolves once REDIS_MIN_REPLICAS replicas hold every write this connection made so far (WAIT); throws
   * ReplicaLagError when fewer confirm in time. Replication is asynchronous: without this, a write the
   * primary took could be missing on the replica Sentinel promotes.
   */
  async replicated(): Promise<void> {
    const { count, timeoutMs } = this.replicas;
    if (count <= 0) return;
    const confirmed = await this.redis.wait(count, timeoutMs);
    if (confirmed < count) throw new ReplicaLagError(count, confirmed, timeoutMs);
  }
}
