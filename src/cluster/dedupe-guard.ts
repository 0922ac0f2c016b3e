// Keeps "never processed twice" across a Redis that lost its data (a restart without
// persistence, a fail-over to an empty replica, a FLUSHALL). The dedupe memory (the
// window of recent ids, and every pending hash) lives in Redis; a marker key (`epoch`) is
// written only once it is known complete, and every claim and assignment checks it inside
// its script (no extra round trip). When the marker is gone, claims fail and the payments
// wait in memory, as during an outage, while one instance rebuilds:
//   1. every live instance flushes its writers, then puts the payments it holds (waiting,
//      in flight, with their assignments) back into the window and its pending hash (a
//      pub/sub request, like the summary barrier: PUBLISH says how many listen, each
//      acknowledges);
//   2. every id Postgres holds for the window is added to it (what is older, the payments
//      table answers for at each claim: pending-payments.ts);
//   3. a new marker is written; claims go on.
// The work is bounded by the window, not by the history.
// An id recorded before, or still in some instance's hands, is then a duplicate again,
// whenever it is re-posted. Left open: an instance that does not answer within
// DEDUPE_REBUILD_MS (hung) has its in-memory payments left out until it wakes and answers
// (its pending hash was lost with Redis); a re-post of one of them meanwhile is not caught.
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from '../shared/log';
import { PubSubRound } from './pubsub-round';
import type { PendingPayment } from '../domain/pending-payment';
import type { PendingPayments } from '../store/pending-payments';

export interface DedupeGuardOptions {
  redis: Redis;
  /** A connection used only for subscriptions (the summary barrier's may be shared). */
  subscriber: Redis;
  prefix: string;
  instanceId: string;
  pending: PendingPayments;
  /** Every correlationId Postgres holds for the dedupe window, in chunks. */
  recordedIds: () => AsyncIterable<string[]>;
  /** The payments this instance holds and has not yet seen recorded. */
  held: () => Promise<PendingPayment[]>;
  /** Most time the rebuild waits for the other instances' answers. */
  timeoutMs: number;
  log: Logger;
}

export class DedupeGuard {
  private readonly round: PubSubRound;
  private rebuilding: Promise<void> | null = null;

  constructor(private readonly options: DedupeGuardOptions) {
    this.round = new PubSubRound({
      redis: options.redis,
      subscriber: options.subscriber,
      requestChannel: `${options.prefix}restore`,
      ackChannel: `${options.prefix}restore-ack`,
      instanceId: options.instanceId,
      timeoutMs: options.timeoutMs,
      answer: () => this.putBack(),
      onAnswerFailed: (err) => options.log.warn('dedupe-restore-failed', { err }),
    });
  }

  /** Answers other instances' restore requests, then makes sure the marker is there (rebuilding if not). */
  async start(): Promise<void> {
    await this.round.start();
    await this.ensure();
  }

  /** Adopts the marker, or rebuilds the dedupe memory when it is gone; one rebuild at a time per instance. */
  ensure(): Promise<void> {
    this.rebuilding ??= this.check().finally(() => (this.rebuilding = null));
    return this.rebuilding;
  }

  /** Puts what this instance holds back into Redis (seen, and its pending hash). */
  private async putBack(): Promise<void> {
    await this.options.pending.restore(await this.options.held());
  }

  private async check(): Promise<void> {
    const { redis, pending, log } = this.options;
    const key = pending.epochKey();
    const current = await redis.get(key);
    if (current !== null) {
      // Rebuilt by another instance since: what this one holds goes back too, in case its request came
      // before this instance had subscribed again (after a Redis restart every connection reconnects).
      if (pending.epoch !== null && current !== pending.epoch) await this.putBack();
      pending.epoch = current;
      return;
    }
    const started = Date.now();
    // Every live instance (this one too) puts what it holds back; false when one did not answer in time.
    const answered = await this.round.ask();
    let ids = 0;
    for await (const chunk of this.options.recordedIds()) {
      await pending.remember(chunk);
      ids += chunk.length;
    }
    // One command: ours if no other instance set one meanwhile, else theirs (SET NX GET answers the old value).
    const mine = randomUUID();
    pending.epoch = (await redis.set(key, mine, 'NX', 'GET')) ?? mine;
    log.warn('dedupe-memory-rebuilt', { recordedIds: ids, instancesAnswered: answered, ms: Date.now() - started });
  }
}
