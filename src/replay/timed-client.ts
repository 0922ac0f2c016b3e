// Every request the replay makes goes through here and is timed as k6 times
// http_req_duration: from sending the request to the end of the response body.
// Each target gets a pool with enough connections that no request waits for one.
import { Pool } from 'undici';
import { LatencyHistogram } from './latency-histogram';

export type RequestKind = 'payment' | 'summary' | 'admin';

export interface Sample {
  /** Seconds since the start of the run, when the request was sent. */
  t: number;
  ms: number;
  kind: RequestKind;
  /** 2xx */
  ok: boolean;
}

export interface Answer {
  status: number;
  ms: number;
  body: string;
}

export class TimedClient {
  private readonly pools = new Map<string, Pool>();
  readonly samples: Sample[] = [];
  /** The 2xx answers' durations, for a live percentile that does not sort `samples`. */
  okLatencies = new LatencyHistogram();
  /** 2xx payment answers by the whole second (since the start) in which they were sent, for a live rate. */
  okPaymentsBySecond: number[] = [];

  constructor(private readonly startedAt: () => number, private readonly connections: number) {}

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: this.connections, pipelining: 1, keepAliveTimeout: 60_000 });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Sends one request; a time-out or a network error is status 0 (k6 does the same). */
  async send(kind: RequestKind, url: string, method: 'GET' | 'POST' | 'PUT', timeoutMs: number, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
    const u = new URL(url);
    const sentAt = performance.now();
    const t = (Date.now() - this.startedAt()) / 1000;
    try {
      const res = await this.pool(u.origin).request({
        method,
        path: u.pathname + u.search,
        body,
        headers: { 'content-type': 'application/json', ...headers },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.body.text();
      const ms = performance.now() - sentAt;
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      this.samples.push({ t, ms, kind, ok });
      if (ok) {
        this.okLatencies.add(ms);
        if (kind === 'payment') this.okPaymentsBySecond[Math.floor(t)] = (this.okPaymentsBySecond[Math.floor(t)] ?? 0) + 1;
      }
      return { status: res.statusCode, ms, body: text };
    } catch {
      const ms = performance.now() - sentAt;
      this.samples.push({ t, ms, kind, ok: false });
      return { status: 0, ms, body: '' };
    }
  }

  /** Forgets every answer so far (the replay's setup requests are not part of the run). */
  clearSamples(): void {
    this.samples.length = 0;
    this.okLatencies = new LatencyHistogram();
    this.okPaymentsBySecond = [];
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }
}
