// A small open-loop load: `rate` POSTs per second for `seconds`, each timed from send to
// the end of the response. Shared by the benchmarks in this folder.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { TimedAnswer } from '../src/replay/slow-bursts';
import { TimedClient } from '../src/replay/timed-client';

export interface LoadResult {
  sent: number;
  ok: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  achievedRate: number;
}

export function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

export async function openLoop(url: string, path: string, body: () => string, rate: number, seconds: number): Promise<LoadResult> {
  const pool = new Pool(url, { connections: 256 });
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  const inflight: Promise<void>[] = [];
  const started = performance.now();
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      const due = Math.floor((elapsed / 1000) * rate) - sent;
      for (let i = 0; i < due; i++) {
        sent++;
        const t0 = performance.now();
        inflight.push(
          pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: body() }).then(
            async (res) => {
              await res.body.dump();
              if (res.statusCode >= 300) errors++;
              else latencies.push(performance.now() - t0);
            },
            () => void errors++,
          ),
        );
      }
      if (elapsed >= seconds * 1000) {
        clearInterval(timer);
        done();
      }
    }, 1);
  });
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { sent, ok: latencies.length, errors, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies[latencies.length - 1] ?? NaN, achievedRate: latencies.length / elapsed };
}

/**
 * The replay's pattern: `users` virtual users, started evenly over the first second, each
 * posting one payment (a fresh id) then sleeping 1 s, for `seconds`. Returns the durations
 * of the 2xx answers, in ms.
 */
export async function vuPattern(url: string, users: number, seconds: number): Promise<number[]> {
  const { randomUUID } = await import('node:crypto');
  const client = new TimedClient(() => Date.now(), users);
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: users }, async (_, i) => {
      await sleep((i / users) * 1000);
      const send = client.user();
      while (Date.now() < end) {
        await send('payment', `${url}/payments`, 'POST', 1500, JSON.stringify({ correlationId: randomUUID(), amount: 20.05 }));
        await sleep(1000);
      }
    }),
  );
  await client.close();
  return client.samples.filter((s) => s.ok).map((s) => s.ms);
}

/** Where a VU sends: through a URL, or straight to an instance's Unix socket. */
export type LoadTarget = { url: string } | { socket: string };

/**
 * The same pattern as vuPattern, over one or more targets (VU i uses target i mod n), with
 * the send time of every 2xx answer kept, for bench/tail.ts. Its own pools rather than the
 * replay's TimedClient, which only speaks to URLs, not to Unix sockets.
 */
export async function vuPatternTimed(targets: LoadTarget[], users: number, seconds: number): Promise<TimedAnswer[]> {
  const { randomUUID } = await import('node:crypto');
  const perTarget = Math.ceil(users / targets.length);
  const pools = targets.map((target) =>
    'url' in target
      ? new Pool(target.url, { connections: perTarget, pipelining: 1, keepAliveTimeout: 60_000 })
      : new Pool('http://localhost', { connections: perTarget, pipelining: 1, keepAliveTimeout: 60_000, connect: { socketPath: target.socket } }),
  );
  const answers: TimedAnswer[] = [];
  const origin = performance.now();
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: users }, async (_, i) => {
      await sleep((i / users) * 1000);
      const pool = pools[i % pools.length];
      while (Date.now() < end) {
        const sentAt = performance.now();
        try {
          const res = await pool.request({ method: 'POST', path: '/payments', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ correlationId: randomUUID(), amount: 20.05 }), signal: AbortSignal.timeout(1500) });
          await res.body.dump();
          if (res.statusCode >= 200 && res.statusCode < 300) answers.push({ sentAt: sentAt - origin, ms: performance.now() - sentAt });
        } catch {
          // A failed request is not an answer: the error count is the replay's business.
        }
        await sleep(1000);
      }
    }),
  );
  await Promise.all(pools.map((p) => p.close()));
  return answers;
}
