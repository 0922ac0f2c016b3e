// Every timed request of a run, kept in typed arrays that grow by doubling. A full run
// times about 90,000 requests; kept as one object each, they were work for the generator's
// garbage collector (copied by each scavenge until promoted, then marked again), pauses of
// its event loop while it timed answers. Objects are made only when asked for, after a run.

export type RequestKind = 'payment' | 'summary' | 'admin';

export interface Sample {
  /** Seconds since the start of the run, when the request was sent. */
  t: number;
  ms: number;
  kind: RequestKind;
  /** 2xx */
  ok: boolean;
}

const KINDS: RequestKind[] = ['payment', 'summary', 'admin'];

export class SampleStore {
  private t = new Float64Array(1024);
  private ms = new Float64Array(1024);
  /** The kind's index times 2, plus 1 when ok. */
  private flags = new Uint8Array(1024);
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(t: number, ms: number, kind: RequestKind, ok: boolean): void {
    if (this.size === this.t.length) this.grow();
    this.t[this.size] = t;
    this.ms[this.size] = ms;
    this.flags[this.size] = KINDS.indexOf(kind) * 2 + (ok ? 1 : 0);
    this.size++;
  }

  clear(): void {
    this.size = 0;
  }

  /** The samples as objects, in the order they were pushed. */
  toArray(): Sample[] {
    const out = new Array<Sample>(this.size);
    for (let i = 0; i < this.size; i++)
      out[i] = { t: this.t[i], ms: this.ms[i], kind: KINDS[this.flags[i] >> 1], ok: (this.flags[i] & 1) === 1 };
    return out;
  }

  private grow(): void {
    const capacity = this.t.length * 2;
    const t = new Float64Array(capacity);
    const ms = new Float64Array(capacity);
    const flags = new Uint8Array(capacity);
    t.set(this.t);
    ms.set(this.ms);
    flags.set(this.flags);
    this.t = t;
    this.ms = ms;
    this.flags = flags;
  }
}
