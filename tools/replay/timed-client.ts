// Every request the replay makes goes through here and is timed as k6 times
// http_req_duration: from sending the request to the end of the response body, without
// the time spent opening a connection (k6 reports that apart, as http_req_connecting).
// Each virtual user has connections of its own, as a k6 VU has, so a request that waited
// for its connection to open is known and timed from the moment it opened; requests
// outside the VUs (setup, checks) share a pool per target with enough connections that
// none waits for one.
import { Client, Pool, type Dispatcher } from 'undici';
import { LatencyHistogram } from './latency-histogram';
import { SampleStore, type RequestKind, type Sample } from './sample-store';
import { Deadlines } from '../../src/gateway/deadlines';

export type { RequestKind, Sample };

export interface Answer {
  status: number;
  ms: number;
  body: string;
}

/** Where a request goes, and when that connection last opened (0: unknown, a shared pool). */
interface Route {
  dispatcher: Dispatcher;
  connectedAt: number;
}

/** Sends requests and times them; the same signature for the shared pools and for one VU's connections. */
export type Send = (
  kind: RequestKind,
  url: string,
  method: 'GET' | 'POST' | 'PUT',
  timeoutMs: number,
  body?: string,
  headers?: Record<string, string>,
) => Promise<Answer>;

export class TimedClient {
  private readonly pools = new Map<string, Route>();
  private readonly userClients: Client[] = [];
  private readonly store = new SampleStore();
  // One timer for every time-out rather than AbortSignal.timeout per request (see deadlines.ts).
  private readonly deadlines = new Deadlines(20);
  /** The 2xx answers' durations, for a live percentile that does not sort `samples`. */
  okLatencies = new LatencyHistogram();
  /** 2xx payment answers by the whole second (since the start) in which they were sent, for a live rate. */
  okPaymentsBySecond: number[] = [];

  constructor(
    private readonly startedAt: () => number,
    private readonly connections: number,
  ) {}

  /** Every request timed so far, as objects (made on each call: read it once, after a run). */
  get samples(): Sample[] {
    return this.store.toArray();
  }

  private pool(origin: string): Route {
    let route = this.pools.get(origin);
    if (!route) {
      route = {
        dispatcher: new Pool(origin, { connections: this.connections, pipelining: 1, keepAliveTimeout: 60_000 }),
        connectedAt: 0,
      };
      this.pools.set(origin, route);
    }
    return route;
  }

  /** Sends through the shared pools; a time-out or a network error is status 0 (k6 does the same). */
  readonly send: Send = (kind, url, method, timeoutMs, body, headers = {}) => {
    const u = new URL(url);
    return this.timed(this.pool(u.origin), u, kind, method, timeoutMs, body, headers);
  };

  /**
   * A virtual user's sender: its own connection to each target, opened on first use.
   * With `socketPath`, every connection goes to that Unix socket (the benchmarks load an
   * instance without Nginx that way; the URLs then only give the path).
   */
  user(socketPath?: string): Send {
    const routes = new Map<string, Route>();
    return (kind, url, method, timeoutMs, body, headers = {}) => {
      const u = new URL(url);
      let route = routes.get(u.origin);
      if (!route) {
        const client = new Client(u.origin, {
          pipelining: 1,
          keepAliveTimeout: 60_000,
          ...(socketPath ? { connect: { socketPath } } : {}),
        });
        const r: Route = { dispatcher: client, connectedAt: 0 };
        client.on('connect', () => (r.connectedAt = performance.now()));
        this.userClients.push(client);
        routes.set(u.origin, (route = r));
      }
      return this.timed(route, u, kind, method, timeoutMs, body, headers);
    };
  }

  private async timed(
    route: Route,
    u: URL,
    kind: RequestKind,
    method: 'GET' | 'POST' | 'PUT',
    timeoutMs: number,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<Answer> {
    const sentAt = performance.now();
    const t = (Date.now() - this.startedAt()) / 1000;
    // A request that waited for its connection to open started when it opened.
    const since = () => performance.now() - Math.max(sentAt, route.connectedAt);
    const deadline = this.deadlines.start(timeoutMs);
    try {
      const res = await route.dispatcher.request({
        method,
        path: u.pathname + u.search,
        body,
        headers: { 'content-type': 'application/json', ...headers },
        signal: deadline.signal,
      });
      const text = await res.body.text();
      const ms = since();
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      this.store.push(t, ms, kind, res.statusCode);
      if (ok) {
        this.okLatencies.add(ms);
        if (kind === 'payment')
          this.okPaymentsBySecond[Math.floor(t)] = (this.okPaymentsBySecond[Math.floor(t)] ?? 0) + 1;
      }
      return { status: res.statusCode, ms, body: text };
    } catch {
      const ms = since();
      this.store.push(t, ms, kind, 0);
      return { status: 0, ms, body: '' };
    } finally {
      this.deadlines.finish(deadline);
    }
  }

  /** Forgets every answer so far (the replay's setup requests are not part of the run). */
  clearSamples(): void {
    this.store.clear();
    this.okLatencies = new LatencyHistogram();
    this.okPaymentsBySecond = [];
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((r) => r.dispatcher.close()));
    await Promise.all(this.userClients.map((c) => c.close()));
  }
}
