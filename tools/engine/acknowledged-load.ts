// Load that remembers what it was promised: an open loop of POST /payments at a steady rate, keeping the
// id of every payment answered 202 (and when), and of every one whose answer was anything else. Then each
// of them is looked up in both processors (GET /payments/{id}), to say which acknowledged payment was
// lost and which was recorded twice.
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';

export interface LoadOutcome {
  /** Acknowledged (202): correlationId -> when the answer arrived (ms since the epoch). */
  acknowledged: Map<string, number>;
  /** Sent but not acknowledged (an error status, a reset, a timeout): may or may not have been recorded. */
  unacknowledged: Set<string>;
  /** How many answers of each status (0: no answer). */
  statuses: Record<number, number>;
  startedAt: number;
  endedAt: number;
}

export interface RunningLoad {
  stop(): Promise<LoadOutcome>;
}

const AMOUNT = 19.9;

export function startLoad(url: string, perSecond: number): RunningLoad {
  const pool = new Pool(url, { connections: 256, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const outcome: LoadOutcome = {
    acknowledged: new Map(),
    unacknowledged: new Set(),
    statuses: {},
    startedAt: Date.now(),
    endedAt: 0,
  };
  const inflight = new Set<Promise<void>>();
  let sent = 0;
  const count = (status: number) => (outcome.statuses[status] = (outcome.statuses[status] ?? 0) + 1);
  const send = () => {
    const correlationId = randomUUID();
    const body = JSON.stringify({ correlationId, amount: AMOUNT });
    const request = pool
      .request({ method: 'POST', path: '/payments', headers: { 'content-type': 'application/json' }, body })
      .then(
        async (res) => {
          await res.body.dump();
          count(res.statusCode);
          if (res.statusCode === 202) outcome.acknowledged.set(correlationId, Date.now());
          else outcome.unacknowledged.add(correlationId);
        },
        () => {
          count(0);
          outcome.unacknowledged.add(correlationId);
        },
      )
      .finally(() => inflight.delete(request));
    inflight.add(request);
  };
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - outcome.startedAt) / 1000) * perSecond) - sent;
    for (let i = 0; i < due; i++, sent++) send();
  }, 2);
  return {
    async stop() {
      clearInterval(timer);
      outcome.endedAt = Date.now();
      await Promise.all(inflight);
      await pool.close();
      return outcome;
    },
  };
}

export interface ExactlyOnce {
  /** Acknowledged and recorded by neither processor. */
  lost: string[];
  /** Recorded by both processors. */
  doubled: string[];
  /** Acknowledged and recorded once. */
  recordedOnce: number;
  /** Not acknowledged but recorded all the same (the answer was lost, not the payment). */
  unacknowledgedRecorded: number;
}

async function found(pool: Pool, id: string): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await pool.request({ method: 'GET', path: `/payments/${id}` });
      await res.body.dump();
      if (res.statusCode === 200 || res.statusCode === 404) return res.statusCode === 200;
      throw new Error(`GET /payments/${id} answered ${res.statusCode}`);
    } catch (err) {
      if (attempt >= 3) throw err;
      await sleep(100);
    }
  }
}

/** Looks every payment the load sent up in both processors. */
export async function checkExactlyOnce(load: LoadOutcome, processors: Record<string, string>): Promise<ExactlyOnce> {
  const pools = Object.values(processors).map((u) => new Pool(u, { connections: 32 }));
  const result: ExactlyOnce = { lost: [], doubled: [], recordedOnce: 0, unacknowledgedRecorded: 0 };
  const ids = [...load.acknowledged.keys(), ...load.unacknowledged];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < ids.length) {
          const id = ids[next++];
          const times = (await Promise.all(pools.map((p) => found(p, id)))).filter(Boolean).length;
          if (times > 1) result.doubled.push(id);
          if (load.acknowledged.has(id)) {
            if (times === 0) result.lost.push(id);
            else result.recordedOnce++;
          } else if (times > 0) result.unacknowledgedRecorded++;
        }
      }),
    );
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
  return result;
}

/** Waits until the processors' totals have not moved for `quietMs` (the deployment finished its work). */
export async function untilSettled(
  totals: () => Promise<number>,
  quietMs = 3000,
  timeoutMs = 120_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const now = await totals();
    if (now !== last) [last, since] = [now, Date.now()];
    else if (Date.now() - since >= quietMs) return now;
    await sleep(250);
  }
  return last;
}
