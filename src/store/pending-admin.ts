// What operators and migrations do to the pending payments: purge them all, drop a key older versions let grow,
// read Redis' memory against its cap.
import type { PendingStore } from './pending-store';

export class PendingAdmin {
  constructor(private readonly store: PendingStore) {}

  /** Empties everything (POST /purge-payments): dedupe memory and every instance's pending payments. */
  async purge(): Promise<void> {
    const members = await this.store.redis.smembers(this.store.instancesKey());
    // Every slice, whatever the window of whoever wrote it (the launcher purges with the default one).
    const slices: string[] = [];
    for await (const keys of this.store.redis.scanStream({ match: `${this.store.prefix}seen:*`, count: 1000 }))
      slices.push(...(keys as string[]));
    const pending = [...members, this.store.instanceId].flatMap((m) => [
      this.store.pendingKey(m),
      this.store.leftoverKey(m),
    ]);
    await this.store.redis.del(...slices, ...pending);
  } /**
   * Drops the set of every id ever accepted that versions before the window kept (`<prefix>seen`):
   * it only grew; the window and the payments table now answer for what it held.
   */
  async forgetUnboundedHistory(): Promise<void> {
    await this.store.redis.unlink(`${this.store.prefix}seen`);
  } /** Bytes Redis uses and its cap (0: none), for /metrics. */
  async memory(): Promise<{ used: number; max: number }> {
    const info = await this.store.redis.info('memory');
    const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    return { used: field('used_memory'), max: field('maxmemory') };
  }
}
