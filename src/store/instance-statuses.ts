// The instances' statuses for the cluster page, in one Redis hash, <prefix>status: a field per instance
// holding its status as JSON, written every HEARTBEAT_MS. Bounded by the instances that ran lately: the
// reader deletes a field nobody has refreshed for FORGET_AFTER_MS (an instance gone for good).
import type Redis from 'ioredis';

/** A status older than this belongs to an instance gone for good: its field is deleted. */
export const FORGET_AFTER_MS = 10 * 60_000;

export class InstanceStatuses {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(): string {
    return `${this.prefix}status`;
  }

  async publish(instance: string, status: string): Promise<void> {
    await this.redis.hset(this.key(), instance, status);
  }

  /** Every published status, by instance, as written. */
  async readAll(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.key());
  }

  async forget(instances: string[]): Promise<void> {
    if (instances.length > 0) await this.redis.hdel(this.key(), ...instances);
  }
}
