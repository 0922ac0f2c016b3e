// The health endpoint's limiter, as the official processor configures ASP.NET's:
// a fixed window with 1 permit; up to `queueLimit` callers wait (oldest first) for
// the next windows; callers beyond that are refused at once (429).

export class FixedWindowLimiter {
  private windowStart: number;
  private used = 0;
  private readonly queue: ((granted: boolean) => void)[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly windowMs: number,
    private readonly queueLimit: number,
    private readonly now: () => number = Date.now,
  ) {
    this.windowStart = now();
  }

  /** Resolves true when the caller may proceed (perhaps after waiting), false when refused. */
  acquire(): Promise<boolean> {
    this.roll();
    if (this.used < 1 && this.queue.length === 0) {
      this.used++;
      return Promise.resolve(true);
    }
    if (this.queue.length >= this.queueLimit) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.queue.push(resolve);
      this.schedule();
    });
  }

  private roll(): void {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      this.windowStart += Math.floor((t - this.windowStart) / this.windowMs) * this.windowMs;
      this.used = 0;
    }
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.windowStart + this.windowMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.roll();
      if (this.used < 1 && this.queue.length > 0) {
        this.used++;
        this.queue.shift()!(true);
      }
      if (this.queue.length > 0) this.schedule();
    }, wait + 1);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const waiting of this.queue.splice(0)) waiting(false);
  }
}
