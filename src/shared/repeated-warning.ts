// A failure that repeats (each retry of each held batch, each flush of a writer while
// Postgres is down) is logged once per interval, with how many times it happened since
// the last line, and once more when it stops: the log's size follows the number of
// outages, not of payments or retries.
import type { Logger } from './log';

export class RepeatedWarning {
  private unreported = 0;
  private failing = false;
  private lastLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly log: Logger,
    private readonly event: string,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** One more failure; logged at once if the last line is older than the interval. */
  failed(fields: Record<string, unknown>): void {
    this.unreported++;
    this.failing = true;
    const t = this.now();
    if (t - this.lastLoggedAt < this.intervalMs) return;
    this.log.warn(this.event, { ...fields, occurrences: this.unreported });
    this.unreported = 0;
    this.lastLoggedAt = t;
  }

  /** It works again: says so once, with the failures not yet logged. */
  recovered(fields: Record<string, unknown> = {}): void {
    if (!this.failing) return;
    this.failing = false;
    this.log.info(`${this.event}-ended`, { ...fields, unreported: this.unreported });
    this.unreported = 0;
    this.lastLoggedAt = Number.NEGATIVE_INFINITY;
  }
}
