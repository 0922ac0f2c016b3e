// Before a summary is read from Postgres, every live instance flushes what its
// writers hold, so the summary counts every payment any instance has seen recorded.
// An instance publishes a flush request; PUBLISH tells how many instances heard it;
// each flushes and publishes an acknowledgement; the requester waits for all of
// them, or at most SUMMARY_BARRIER_MS.
import type Redis from 'ioredis';
import type { Logger } from '../shared/log';
import { PubSubRound } from './pubsub-round';

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
  private readonly round: PubSubRound;

  constructor(private readonly options: SummaryBarrierOptions) {
    this.round = new PubSubRound({
      redis: options.redis,
      subscriber: options.subscriber,
      requestChannel: `${options.prefix}flush`,
      ackChannel: `${options.prefix}flush-ack`,
      instanceId: options.instanceId,
      timeoutMs: options.timeoutMs,
      answer: options.flushLocal,
      onAnswerFailed: (err) => options.log.warn('barrier-flush-failed', { err }),
    });
  }

  start(): Promise<void> {
    return this.round.start();
  }

  /** Resolves true when every instance flushed, false after the time limit or if Redis is down. */
  flushAll(): Promise<boolean> {
    // Redis down: the other instances cannot be asked, but this one's own writers can still be flushed.
    return this.round.ask(this.options.flushLocal);
  }
}
