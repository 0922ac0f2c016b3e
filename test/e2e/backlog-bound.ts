// A backlog that only Redis can hold: both processors failing, Redis uncapped, 150,000 payments posted to
// two instances, then one of them killed. The survivor takes over what the dead one held, yet holds at
// most MAX_HELD payments in memory: it keeps answering (202, or 503 past the bound, never a hang or a
// crash), its core thread stays under its heap, and once the processors answer again every payment
// answered 202 is recorded once and none answered 503 reaches a processor. Runs the built app (dist/) as
// child processes, each with its real core thread and heap limits.
import t from 'tap';
import { Pool } from 'undici';
import { childEnv, startChild } from '../fixtures/child-instance';
import { postAll, type Posted } from '../fixtures/post-all';
import {
  DATABASE_URL,
  eventually,
  getSummary,
  namespace,
  newPayment,
  sleep,
  startProcessors,
  steadyLoad,
  summariesAgree,
} from '../fixtures/pipeline';
import { Client } from 'pg';

const PAYMENTS = Number(process.env.BACKLOG_PAYMENTS ?? 150_000);
/** The core thread's old-generation limit (CORE_OLD_SPACE_MB's default): past it, the thread dies. */
const CORE_HEAP_MB = 48;

/** Posts `count` payments of 1.00, 48 at a time; every answer, by id. */
async function postMany(url: string, count: number): Promise<Posted[]> {
  const pool = new Pool(url, { connections: 48 });
  try {
    return await postAll(
      pool,
      Array.from({ length: count }, () => newPayment(1)),
      48,
    );
  } finally {
    await pool.close();
  }
}

/** The core thread's used heap, read from /metrics every 250 ms; stop() returns the highest seen (MB). */
function coreHeapSampler(t: { teardown(fn: () => unknown): void }, url: string) {
  let peak = 0;
  let samples = 0;
  const sample = async () => {
    const text = await fetch(`${url}/metrics`).then((r) => r.text());
    const m = /^nodejs_heap_size_used_bytes\{[^}]*thread="core"[^}]*\} (\d+)/m.exec(text);
    if (m) {
      samples++;
      peak = Math.max(peak, Number(m[1]) / 1024 / 1024);
    }
  };
  const timer = setInterval(() => void sample().catch(() => undefined), 250);
  t.teardown(() => clearInterval(timer));
  return {
    stop: () => {
      clearInterval(timer);
      return { peakMb: peak, samples };
    },
  };
}

async function countRecorded(schema: string, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const pg = new Client({ connectionString: DATABASE_URL });
  await pg.connect();
  try {
    const r = await pg.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${schema}".payments WHERE correlation_id = ANY($1::uuid[])`,
      [ids],
    );
    return Number(r.rows[0].n);
  } finally {
    await pg.end();
  }
}

t.test(
  `${PAYMENTS} payments, both processors failing, one of two instances killed: bounded, answering, nothing lost`,
  { timeout: 280_000 },
  async (t) => {
    const processors = await startProcessors(t);
    await processors.setFailure('default', true);
    await processors.setFailure('fallback', true);
    const ns = namespace(t);
    // A send rate 5 times the default's, so that the backlog drains in seconds.
    const settings = { WARM_UP_ROUNDS: '0', BREAKER_COOLDOWN_MS: '500', PROCESSOR_SEND_RATE: '2000' };
    const doomed = await startChild(t, childEnv('backlog-a', ns, processors, settings));
    const survivor = await startChild(t, childEnv('backlog-b', ns, processors, settings));
    const heap = coreHeapSampler(t, survivor.url);

    const started = Date.now();
    const posted = (
      await Promise.all([postMany(doomed.url, PAYMENTS / 2), postMany(survivor.url, PAYMENTS / 2)])
    ).flat();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const acknowledged = posted.filter((a) => a.status === 202).map((a) => a.id);
    const refused = posted.filter((a) => a.status === 503).map((a) => a.id);
    t.equal(acknowledged.length + refused.length, PAYMENTS, `every POST answered 202 or 503 (${seconds} s)`);
    t.comment(`${acknowledged.length} answered 202, ${refused.length} answered 503`);

    doomed.child.kill('SIGKILL');
    await sleep(1000); // past its heartbeat's TTL: its payments are the survivor's to take over
    t.equal(survivor.child.exitCode, null, 'the survivor is alive, holding its bound');
    await processors.setFailure('default', false);
    await processors.setFailure('fallback', false);
    // The take-over happens now, in chunks, as the backlog drains: the survivor answers every POST meanwhile.
    const during = await steadyLoad(survivor.url, 5000);
    const slowest = Math.max(...during.map((a) => a.took));
    t.ok(
      during.every((a) => a.status === 202 || a.status === 503),
      `while it drains and takes over, every POST answered 202 or 503 (the slowest in ${slowest} ms)`,
    );
    t.ok(slowest < 2000, `no POST waited 2 s or more (${slowest} ms)`);
    acknowledged.push(...during.filter((a) => a.status === 202).map((a) => a.id));
    refused.push(...during.filter((a) => a.status === 503).map((a) => a.id));

    const all = await eventually(
      async () => {
        const s = await getSummary(survivor.url);
        return s.default.totalRequests + s.fallback.totalRequests >= acknowledged.length;
      },
      200_000,
      1000,
    );
    const { peakMb, samples } = heap.stop();
    t.ok(all, `every payment answered 202 was recorded (${acknowledged.length})`);
    t.equal(survivor.child.exitCode, null, 'the survivor never stopped');
    t.ok(samples > 10, `its core heap was read ${samples} times`);
    t.ok(
      peakMb < CORE_HEAP_MB,
      `its core thread's heap stayed under ${CORE_HEAP_MB} MB (peak ${peakMb.toFixed(1)} MB)`,
    );

    await sleep(500); // a payment recorded twice would show now
    t.equal(await countRecorded(ns.databaseSchema, acknowledged), acknowledged.length, 'each recorded in our table');
    t.equal(await countRecorded(ns.databaseSchema, refused), 0, 'none answered 503 recorded');
    t.equal(
      refused.reduce((n, id) => n + processors.calls('default', id) + processors.calls('fallback', id), 0),
      0,
      'none answered 503 reached a processor',
    );
    const { ours, theirs, equal } = await summariesAgree(survivor.url, processors);
    t.ok(equal, `our summary equals the processors': ${JSON.stringify(ours)} / ${JSON.stringify(theirs)}`);
    t.equal(ours.default.totalRequests + ours.fallback.totalRequests, acknowledged.length, 'each counted once');
  },
);
