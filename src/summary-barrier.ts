// Before a summary is read from Postgres, every live instance flushes what its
// writers hold, so the summary counts every payment any instance has seen recorded.
// An instance publishes a flush request; PUBLISH tells how many instances heard it;
// each flushes and publishes an acknowledgement; the requester waits for all of
// them, or at most SUMMARY_BARRIER_MS.
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from './log';

export interface SummaryBarrierOptions {
  /** A connection for commands. */
  redis: Redis;
  /** A second connection, used only for subscriptions. */
  subscriber: Redis;
  prefix: string;
  instanceId: string;
  timeoutMs: number;
  /** Flushes this instance's writers; resolves when Postgres has their rows. */
  flushLocal: () => Promise<boolean>;
  log: Logger;
}

export class SummaryBarrier {
  private readonly waiting = new Map<string, { acks: number; expected: number; done: () => void }>();
  private readonly requestChannel: string;
  private readonly ackChannel: string;

  constructor(private readonly options: SummaryBarrierOptions) {
    this.requestChannel = `${options.prefix}flush`;
    this.ackChannel = `${options.prefix}flush-ack`;
  }

  async start(): Promise<void> {
    const { subscriber, redis, log } = this.options;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.requestChannel) {
        this.options.flushLocal().then(
          () => redis.publish(this.ackChannel, message).catch(() => undefined),
          (err) => log.warn('barrier-flush-failed', { err }),
        );
      } else if (channel === this.ackChannel) {
        const w = this.waiting.get(message);
        if (w && ++w.acks >= w.expected) w.done();
      }
    });
    await subscriber.subscribe(this.requestChannel, this.ackChannel);
  }

  /** Resolves true when every instance flushed, false after the time limit or if Redis is down. */
  async flushAll(): Promise<boolean> {
    const nonce = `${this.options.instanceId}:${randomUUID()}`;
    return new Promise<boolean>((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.waiting.delete(nonce);
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), this.options.timeoutMs);
      this.waiting.set(nonce, { acks: 0, expected: Number.POSITIVE_INFINITY, done: () => finish(true) });
      this.options.redis.publish(this.requestChannel, nonce).then(
        (listeners) => {
          const w = this.waiting.get(nonce);
          if (!w) return;
          w.expected = listeners;
          if (w.acks >= w.expected) finish(true);
        },
        () =>
          this.options.flushLocal().then(
            () => finish(false),
            () => finish(false),
          ),
      );
    });
  }
}
