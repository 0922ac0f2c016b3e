// Latencies counted in buckets 1 % wide, for the live p99 of the replay's progress line.
// A percentile of everything so far costs the same at the first answer as at the 90,000th:
// sorting every answer once a second, as the progress line did before, stalled the replay's
// own event loop 10 to 15 ms a second by the end of a full run, and the answers that
// arrived during a stall were timed late, in the very p99 being measured. The score still
// comes from the exact samples (k6Percentile); this is for watching.

const SMALLEST_MS = 0.001;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
// 1 µs to about 5 minutes: far past the client's time-out.
const BUCKETS = Math.ceil(Math.log(300_000 / SMALLEST_MS) / LOG_GROWTH) + 1;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;

  get count(): number {
    return this.total;
  }

  add(ms: number): void {
    const i = ms <= SMALLEST_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / SMALLEST_MS) / LOG_GROWTH));
    this.counts[i]++;
    this.total++;
  }

  /** The p-th percentile (0 to 100), at most 1 % above the exact one; 0 with no samples. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return SMALLEST_MS * GROWTH ** i;
    }
    return SMALLEST_MS * GROWTH ** (BUCKETS - 1);
  }
}
