// The loads the benchmarks apply: an open loop at a fixed rate, and the replay's pattern of virtual users.
// Each request is timed from send to the end of its answer.
import { k6Percentile } from '../../kit/percentile';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { TimedClient, type Sample } from '../../replay/timed-client';

export interface LoadResult {
  sent: number;
  ok: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  achievedRate: number;
}

export async function openLoop(
  url: string,
  path: string,
  body: () => string,
  rate: number,
  seconds: number,
): Promise<LoadResult> {
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
  return {
    sent,
    ok: latencies.length,
    errors,
    p50: k6Percentile(latencies, 50),
    p99: k6Percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
    achievedRate: latencies.length / elapsed,
  };
}

/** Where a VU sends: through a URL, or straight to an instance's Unix socket. */
export type LoadTarget = { url: string } | { socket: string };

/**
 * The replay's pattern: `users` virtual users, started evenly over the first second, each
 * posting one payment (a fresh id) then sleeping 1 s, for `seconds`; VU i sends to target
 * i mod n. Returns every request, timed as the replay times them.
 */
export async function vuPatternSamples(targets: LoadTarget[], users: number, seconds: number): Promise<Sample[]> {
  const { randomUUID } = await import('node:crypto');
  const startedAt = Date.now();
  const client = new TimedClient(() => startedAt, 1);
  const end = startedAt + seconds * 1000;
  await Promise.all(
    Array.from({ length: users }, async (_, i) => {
      await sleep((i / users) * 1000);
      const target = targets[i % targets.length];
      const send = 'url' in target ? client.user() : client.user(target.socket);
      const url = 'url' in target ? target.url : 'http://localhost';
      while (Date.now() < end) {
        await send(
          'payment',
          `${url}/payments`,
          'POST',
          1500,
          JSON.stringify({ correlationId: randomUUID(), amount: 20.05 }),
        );
        await sleep(1000);
      }
    }),
  );
  await client.close();
  return client.samples;
}

/**
 * The pattern's first second is left out of what the benchmarks measure: in it every user
 * starts and opens its connection, hundreds at once, which the official test (its users
 * ramp up over 300 s) never does; and that start alone could decide the p99 of a 10 s run.
 */
export const START_SECONDS = 1;

/** The 2xx answers sent after the pattern's start. */
export function steadyAnswers(samples: Sample[]): Sample[] {
  return samples.filter((s) => s.ok && s.t >= START_SECONDS);
}

/** The replay's pattern against one URL: the durations of the 2xx answers after its start, in ms. */
export async function vuPattern(url: string, users: number, seconds: number): Promise<number[]> {
  return steadyAnswers(await vuPatternSamples([{ url }], users, seconds)).map((s) => s.ms);
}
