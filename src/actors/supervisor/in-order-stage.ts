// One step of the intake (the claim in Redis, the look-up in Postgres) run one request at a
// time: what arrives meanwhile waits, and goes in the next request, in arrival order. Under
// load requests grow instead of multiplying; idle, an item goes at once (or, with gatherMs,
// once the first item has waited that long, so that a few share each request). A request that
// fails is tried again after retryMs with the same items first: nothing is reordered,
// skipped or sent twice. Bounded by what is pushed: the intake gate stops new payments
// once too many wait here (intake-gate.ts).
//
// It lives in its actor's state and runs nothing on its own: a request's outcome and its
// timers come back as the actor's messages, whose handlers call answered() and wake().

export type StageOutcome<R> = { ok: true; result: R } | { ok: false; err: unknown };

/** How the stage reaches its actor's mailbox. */
export interface StageDriver<R> {
  /** When `work` settles, its outcome is told to the actor, whose handler calls answered(outcome). */
  pipe(work: Promise<R>): void;
  /** In `ms`, the actor is told to call wake(). */
  wakeIn(ms: number): void;
  cancelWake(): void;
}

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
  /** What the stage waits for before its next request: a retry pause, company, or nothing. */
  private pause: 'retry' | 'gather' | null = null;
  private stopped = false;

  constructor(
    private readonly options: InOrderStageOptions<T, R>,
    private readonly driver: StageDriver<R>,
  ) {}

  push(items: T[]): void {
    for (const item of items) {
      this.queue.push(item);
      this.waitingWeight += this.options.weight(item);
    }
    this.next();
  }

  /** Total weight of the items not yet through (waiting, or in the request under way until its answer is handled). */
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
    this.pause = null;
    this.driver.cancelWake();
  }

  /** The request under way answered (called by the handler of its outcome's message). */
  answered(outcome: StageOutcome<R>): void {
    const items = this.running;
    const weight = this.runningWeight;
    this.running = [];
    this.runningWeight = 0;
    if (outcome.ok) {
      this.options.done(items, outcome.result);
      this.next();
      return;
    }
    this.queue = items.concat(this.queue);
    this.waitingWeight += weight;
    this.options.failed(items, outcome.err);
    if (this.stopped) return;
    this.pause = 'retry';
    this.driver.wakeIn(this.options.retryMs);
  }

  /** Its pause is over (called by the handler of its timer's message). */
  wake(): void {
    const pause = this.pause;
    this.pause = null;
    if (pause === 'gather') this.start();
    else this.next();
  }

  private next(): void {
    if (this.running.length > 0 || this.pause || this.stopped || this.queue.length === 0) return;
    if (this.options.gatherMs) {
      this.pause = 'gather';
      this.driver.wakeIn(this.options.gatherMs);
      return;
    }
    this.start();
  }

  private start(): void {
    if (this.stopped || this.running.length > 0 || this.queue.length === 0) return;
    let n = 0;
    let weight = 0;
    while (n < this.queue.length && (n === 0 || weight + this.options.weight(this.queue[n]) <= this.options.maxWeight))
      weight += this.options.weight(this.queue[n++]);
    const items = n === this.queue.length ? this.queue : this.queue.slice(0, n);
    this.queue = n === this.queue.length ? [] : this.queue.slice(n);
    this.waitingWeight -= weight;
    this.running = items;
    this.runningWeight = weight;
    this.driver.pipe(this.options.run(items));
  }
}
