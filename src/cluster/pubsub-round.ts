// One request to every live instance over Redis pub/sub, answered by each: the requester
// publishes a nonce, PUBLISH says how many instances listen, each one does its part and
// publishes the nonce back, and the requester waits for that many answers or at most
// `timeoutMs`. The summary barrier (every instance flushes its writers) and the dedupe
// rebuild (every instance puts back what it holds) are both such rounds.
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';

export interface PubSubRoundOptions {
  /** A connection for commands. */
  redis: Redis;
  /** A connection used only for subscriptions (several rounds may share it). */
  subscriber: Redis;
  requestChannel: string;
  ackChannel: string;
  instanceId: string;
  timeoutMs: number;
  /** This instance's part, when any instance asks; it acknowledges once that resolves. */
  answer: () => Promise<unknown>;
  /** This instance's part failed: no acknowledgement is sent. */
  onAnswerFailed: (err: unknown) => void;
}

export class PubSubRound {
  private readonly waiting = new Map<string, { acks: number; expected: number; done: () => void }>();

  constructor(private readonly options: PubSubRoundOptions) {}

  async start(): Promise<void> {
    const { subscriber, redis, requestChannel, ackChannel } = this.options;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === requestChannel) {
        this.options.answer().then(
          () => redis.publish(ackChannel, message).catch(() => undefined),
          (err) => this.options.onAnswerFailed(err),
        );
      } else if (channel === ackChannel) {
        const w = this.waiting.get(message);
        if (w && ++w.acks >= w.expected) w.done();
      }
    });
    await subscriber.subscribe(requestChannel, ackChannel);
  }

  /**
   * Resolves true when every listening instance answered, false after the time limit. When Redis cannot be
   * asked, `unreachable` runs (this instance's own part, say) and the answer is false once it settles.
   */
  ask(unreachable: () => Promise<unknown> = () => Promise.resolve()): Promise<boolean> {
    const nonce = `${this.options.instanceId}:${randomUUID()}`;
    return new Promise<boolean>((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.waiting.delete(nonce);
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), this.options.timeoutMs);
      this.waiting.set(nonce, { acks: 0, expected: Number.POSITIVE_INFINITY, done: () => finish(true) });
      this.options.redis.publish(this.options.requestChannel, nonce).then(
        (listeners) => {
          const w = this.waiting.get(nonce);
          if (!w) return;
          w.expected = listeners;
          if (w.acks >= w.expected) finish(true);
        },
        () =>
          unreachable().then(
            () => finish(false),
            () => finish(false),
          ),
      );
    });
  }
}
