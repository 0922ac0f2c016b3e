// Every timed request of a run, kept in typed arrays that grow by doubling. A full run
// times about 90,000 requests; kept as one object each, they were work for the generator's
// garbage collector (copied by each scavenge until promoted, then marked again), pauses of
// its event loop while it timed answers. Objects are made only when asked for, after a run.

export type RequestKind = 'payment' | 'summary' | 'admin';
/** 2xx; 503 (refused, to be retried); another status; no answer in time (or a network error: status 0). */
export type Outcome = 'ok' | 'refused' | 'failed' | 'timeout';

export interface Sample {
  /** Seconds since the start of the run, when the request was sent. */
  t: number;
  ms: number;
  kind: RequestKind;
  /** 2xx */
  ok: boolean;
  outcome: Outcome;
}

const KINDS: RequestKind[] = ['payment', 'summary', 'admin'];
const OUTCOMES: Outcome[] = ['ok', 'refused', 'failed', 'timeout'];

/** The outcome of an answer's status (0: none came). */
export function outcomeOf(status: number): Outcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 503) return 'refused';
  return status === 0 ? 'timeout' : 'failed';
}

export class SampleStore {
  private t = new Float64Array(1024);
  private ms = new Float64Array(1024);
  /** The kind's index times 4, plus the outcome's. */
  private flags = new Uint8Array(1024);
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** One request: when it was sent, how long it took, and its status (0: no answer). */
  push(t: number, ms: number, kind: RequestKind, status: number): void {
    if (this.size === this.t.length) this.grow();
    this.t[this.size] = t;
    this.ms[this.size] = ms;
    this.flags[this.size] = KINDS.indexOf(kind) * 4 + OUTCOMES.indexOf(outcomeOf(status));
    this.size++;
  }

  clear(): void {
    this.size = 0;
  }

  /** The samples as objects, in the order they were pushed. */
  toArray(): Sample[] {
    const out = new Array<Sample>(this.size);
    for (let i = 0; i < this.size; i++) {
      const outcome = OUTCOMES[this.flags[i] & 3];
      out[i] = { t: this.t[i], ms: this.ms[i], kind: KINDS[this.flags[i] >> 2], ok: outcome === 'ok', outcome };
    }
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
