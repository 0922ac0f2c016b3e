// Time-outs for many requests under one interval timer. AbortSignal.timeout makes a timer
// per request that lives for the whole time-out even when the answer came in a millisecond:
// 8 s for a processor call, so thousands alive at a time, each one copied and promoted by
// the garbage collector. Here a request holds an AbortController only while it runs, and
// one timer, running only while requests do, aborts those past their time.

export interface Deadline {
  readonly signal: AbortSignal;
}

interface Entry {
  at: number;
  late: () => void;
}

/** A time-out held by a callback instead of a signal (no AbortController per request). */
export interface Tracked {
  readonly at: number;
}

export class Deadlines {
  private readonly running = new Set<Entry>();
  private timer?: NodeJS.Timeout;

  /** `checkEveryMs`: how late past its time a request may be aborted, at most. */
  constructor(
    readonly checkEveryMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Requests started and not yet finished. */
  get size(): number {
    return this.running.size;
  }

  /**
   * A signal that aborts `timeoutMs` from now (up to checkEveryMs later); pass it to finish() when the request ends.
   */
  start(timeoutMs: number): Deadline {
    const controller = new AbortController();
    const late = () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    return this.add({ at: this.now() + timeoutMs, late, signal: controller.signal });
  }

  /** Calls `late` once `timeoutMs` have passed (up to checkEveryMs later), unless finish() came first. */
  track(timeoutMs: number, late: () => void): Tracked {
    return this.add({ at: this.now() + timeoutMs, late });
  }

  /** Milliseconds until a tracked time-out is due (0 or less: due, to be called at the next check). */
  msLeft(deadline: Tracked): number {
    return deadline.at - this.now();
  }

  finish(deadline: Deadline | Tracked): void {
    this.running.delete(deadline as Entry);
    if (this.running.size === 0) this.stop();
  }

  /** The one place a time-out starts: either kind of entry, returned as given. */
  private add<E extends Entry>(entry: E): E {
    this.running.add(entry);
    // unref: a pending time-out is no reason for the process to stay up.
    this.timer ??= setInterval(this.abortLate, this.checkEveryMs).unref();
    return entry;
  }

  private readonly abortLate = (): void => {
    const now = this.now();
    for (const entry of this.running) {
      if (entry.at > now) continue;
      this.running.delete(entry);
      entry.late();
    }
    if (this.running.size === 0) this.stop();
  };

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
