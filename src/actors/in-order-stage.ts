// One step of the intake (the claim in Redis, the look-up in Postgres) run one request at a
// time: what arrives meanwhile waits, and goes in the next request, in arrival order. Under
// load requests grow instead of multiplying; idle, an item goes at once (or, with gatherMs,
// once the first item has waited that long, so that a few share each request). A request that
// fails is tried again after retryMs with the same items first: nothing is reordered,
// skipped or sent twice. Bounded by what is pushed: the intake gate stops new payments
// once too many wait here (intake-gate.ts).
export interface InOrderStageOptions<T, R> {
  /** One request for these items, oldest first. */
  run(items: T[]): Promise<R>;
  done(items: T[], result: R): void;
  /** The request failed; the items stay first in line. */
  failed(items: T[], err: unknown): void;
  retryMs: number;
  /** Most weight in one request (at least one item always goes). */
  maxWeight: number;
  weight(item: T): number;
  /** How long a request waits for company after its first item arrives (0: none). */
  gatherMs?: number;
}

export class InOrderStage<T, R> {
  private queue: T[] = [];
  private running: T[] = [];
  private waitingWeight = 0;
  private runningWeight = 0;
  private retry: NodeJS.Timeout | null = null;
  private gathering: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly options: InOrderStageOptions<T, R>) {}

  push(items: T[]): void {
    for (const item of items) {
      this.queue.push(item);
      this.waitingWeight += this.options.weight(item);
    }
    this.next();
  }

  /** Total weight of the items not yet through (waiting, or in the request under way). */
  get weight(): number {
    return this.waitingWeight + this.runningWeight;
  }

  /** Every item not yet through, oldest first. */
  items(): T[] {
    return this.running.concat(this.queue);
  }

  /** Forgets what waits (a purge) and returns it; a request under way still reports. */
  clear(): T[] {
    const dropped = this.queue;
    this.queue = [];
    this.waitingWeight = 0;
    return dropped;
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.gathering) clearTimeout(this.gathering);
    this.retry = null;
    this.gathering = null;
  }

  private next(): void {
    if (this.running.length > 0 || this.retry || this.gathering || this.stopped || this.queue.length === 0) return;
    if (this.options.gatherMs) {
      this.gathering = setTimeout(() => {
        this.gathering = null;
        this.start();
      }, this.options.gatherMs);
      return;
    }
    this.start();
  }

  private start(): void {
    if (this.stopped || this.queue.length === 0) return;
    let n = 0;
    let weight = 0;
    while (n < this.queue.length && (n === 0 || weight + this.options.weight(this.queue[n]) <= this.options.maxWeight))
      weight += this.options.weight(this.queue[n++]);
    const items = n === this.queue.length ? this.queue : this.queue.slice(0, n);
    this.queue = n === this.queue.length ? [] : this.queue.slice(n);
    this.waitingWeight -= weight;
    this.running = items;
    this.runningWeight = weight;
    this.options.run(items).then(
      (result) => {
        this.settle();
        this.options.done(items, result);
        this.next();
      },
      (err: unknown) => {
        this.settle();
        this.queue = items.concat(this.queue);
        this.waitingWeight += weight;
        this.options.failed(items, err);
        if (this.stopped) return;
        this.retry = setTimeout(() => {
          this.retry = null;
          this.next();
        }, this.options.retryMs);
      },
    );
  }

  private settle(): void {
    this.running = [];
    this.runningWeight = 0;
  }
}
