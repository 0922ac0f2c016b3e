// Gray faults: parts that answer late, stay slow, or lose a reply, rather than die cleanly. Each test
// says the promise it guards; each failed on the main it was written against (see its commit).
import t from 'tap';
import { existsSync } from 'node:fs';
import {
  newPayment,
  postPayment,
  sleep,
  startProcessors,
  startAppWithProcessors,
  startTestApp,
  namespace,
  eventually,
  summariesAgree,
  REDIS_URL,
  getSummary,
  recordedExactlyOnce,
  recordedTotal,
  steadyLoad,
  type Processors,
} from '../fixtures/pipeline';
import { ownRedis, REDIS_SERVER, replicating } from '../fixtures/redis-servers';
import { answersHeldBack, tcpRelay, type RelayConnection } from '../fixtures/tcp-relay';
import { lockPaymentsTable } from '../fixtures/postgres-lock';
import { createLogger } from '../../src/shared/log';
import { request } from 'undici';
import Redis from 'ioredis';

const skipWithoutRedis = { skip: existsSync(REDIS_SERVER) ? false : `needs ${REDIS_SERVER}` };

/** Resolves with when the POST was answered and its status, or 'none' if it was not within `ms`. */
function answeredWithin(url: string, ms: number): Promise<{ status: number | 'none'; at: number }> {
  return Promise.race([
    postPayment(url, newPayment()).then((r) => ({ status: r.status, at: Date.now() })),
    sleep(ms).then(() => ({ status: 'none' as const, at: Date.now() })),
  ]);
}

t.test(
  'a purge while Redis holds its writes back (ACK_WHEN_DURABLE): every waiting POST is answered',
  skipWithoutRedis,
  async (t) => {
    const redis = await ownRedis(t);
    const { app } = await startAppWithProcessors(t, { redisUrl: redis.url, ackWhenDurable: true });
    t.equal((await postPayment(app.url, newPayment())).status, 202, 'a first payment, Redis answering');
    const pauseMs = 2000;
    await redis.admin.call('CLIENT', 'PAUSE', String(pauseMs), 'WRITE'); // Redis answers writes late
    const pausedUntil = Date.now() + pauseMs;
    const posts: Promise<{ status: number | 'none'; at: number }>[] = [];
    for (let i = 0; i < 20; i++) {
      posts.push(answeredWithin(app.url, pauseMs + 6000));
      await sleep(5);
    }
    const purge = request(`${app.url}/purge-payments`, { method: 'POST' }).then((r) => r.body.dump());
    const answers = await Promise.all(posts);
    await purge;
    const late = answers.filter((a) => a.status === 'none' || a.at > pausedUntil + 2000);
    t.same(late, [], 'every POST answered within 2 s of Redis taking writes again');
    t.same(
      answers.filter((a) => a.status !== 202 && a.status !== 503),
      [],
      '202 (its claim landed before the purge) or 503 (purged before it was claimed)',
    );
  },
);

/**
 * Our summary equals the processors', every acknowledged payment counted. A summary that fails meanwhile (503:
 * its own connection to a Postgres that went silent is timing out) is asked again.
 */
async function agreeWithin(url: string, processors: Processors, count: number, ms: number): Promise<boolean> {
  return eventually(async () => {
    const agree = await summariesAgree(url, processors).catch(() => null);
    if (!agree) return false;
    return agree.equal && agree.ours.default.totalRequests + agree.ours.fallback.totalRequests === count;
  }, ms);
}

t.test(
  'processors that stay slower than our time-out: every payment found recorded, none sent elsewhere',
  async (t) => {
    const { processors, app } = await startAppWithProcessors(t, {
      processorTimeoutMs: 1000,
      // 2.5 s is usable here: this case is about answers lost to our time-out, not the consistency window.
      consistencyHorizonMs: 10_000,
    });
    await processors.setDelay('default', 2500);
    await processors.setDelay('fallback', 2500);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const p = newPayment();
      ids.push(p.correlationId);
      t.equal((await postPayment(app.url, p)).status, 202);
    }
    t.ok(await agreeWithin(app.url, processors, 40, 60_000), 'within 60 s all 40 are in our summary, equal to theirs');
    const calls = ids.map((id) => processors.calls('default', id) + processors.calls('fallback', id));
    const most = Math.max(...calls);
    t.ok(most <= 3, `each payment reached the processors at most 3 times (most: ${most})`);
    t.same(
      ids.filter((id) => processors.calls('default', id) > 0 && processors.calls('fallback', id) > 0),
      [],
      'none was sent to both',
    );
  },
);

/**
 * A relay to Postgres that can stop forwarding without closing anything: packets vanish, nobody resets.
 * Given back, new connections work; those of the silent spell stay silent (as behind a firewall that lost
 * their state): only a time-out of our own can free them.
 */
async function postgresRelay(t: { teardown(fn: () => unknown): void }) {
  let blackhole = false;
  const all = new Set<RelayConnection>();
  const silent = new Set<RelayConnection>();
  const port = await tcpRelay(t, 5432, (c) => {
    all.add(c);
    if (blackhole) silent.add(c);
    const unlessSilent = (d: Buffer, forward: (d: Buffer) => void) => silent.has(c) || forward(d);
    return { toServer: unlessSilent, toClient: unlessSilent };
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/test`,
    blackhole: () => {
      blackhole = true;
      for (const c of all) silent.add(c);
    },
    restore: () => void (blackhole = false),
  };
}

t.test('a Postgres that drops packets without a reset: forwarding again within 5 s once it answers', async (t) => {
  const relay = await postgresRelay(t);
  const { processors, app } = await startAppWithProcessors(t, { databaseUrl: relay.url, databaseQueryTimeoutMs: 1000 });
  t.equal((await postPayment(app.url, newPayment())).status, 202, 'Postgres answering');
  t.ok(await eventually(async () => (await summariesAgree(app.url, processors)).ours.default.totalRequests === 1));
  relay.blackhole();
  const statuses: number[] = [];
  for (let i = 0; i < 200; i++) {
    statuses.push((await postPayment(app.url, newPayment())).status);
    await sleep(10);
  }
  t.same(
    statuses.filter((s) => s !== 202),
    [],
    'answered 202 meanwhile: each claim is durable in Redis, and waits for its look-up',
  );
  const accepted = statuses.filter((s) => s === 202).length + 1;
  relay.restore();
  const restoredAt = Date.now();
  const flowing = await eventually(async () => processors.stats('default').payments >= accepted, 15_000, 50);
  const took = Date.now() - restoredAt;
  t.ok(flowing && took <= 5000, `every accepted payment forwarded within 5 s of Postgres answering (${took} ms)`);
  t.ok(await agreeWithin(app.url, processors, accepted, 15_000), 'and recorded: our summary equals theirs');
});

/** The value of one unlabelled-but-for-the-instance series in a /metrics text (NaN when absent). */
const seriesIn = (metrics: string, name: string) =>
  Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);

t.test('writers stuck on a locked table: /metrics and /actors keep answering, and show how far they lag', async (t) => {
  // A writer waits on an INSERT for up to this long; an inspection waits 2 s at most for the core.
  const { app, ns, processors } = await startAppWithProcessors(t, { databaseQueryTimeoutMs: 5000 });
  t.equal((await postPayment(app.url, newPayment())).status, 202, 'the table exists once one payment is written');
  t.ok(await agreeWithin(app.url, processors, 1, 10_000));
  const release = await lockPaymentsTable(t, ns.databaseSchema);
  for (let i = 0; i < 20; i++) await postPayment(app.url, newPayment());
  await sleep(1500);
  const statuses: number[] = [];
  let lag = NaN;
  for (let i = 0; i < 8; i++) {
    const res = await fetch(`${app.url}/metrics`);
    statuses.push(res.status);
    if (res.ok) lag = seriesIn(await res.text(), 'rinha_writer_lag_seconds');
    await sleep(500);
  }
  t.same(
    statuses.filter((s) => s !== 200),
    [],
    '/metrics answered every time while the writers wait on Postgres',
  );
  t.ok(lag >= 1, `and says the writers lag (${lag} s)`);
  const actors = await fetch(`${app.url}/actors`);
  t.equal(actors.status, 200, '/actors answers too');
  await release();
  t.ok(
    await eventually(async () => {
      const res = await fetch(`${app.url}/metrics`);
      return res.ok && seriesIn(await res.text(), 'rinha_writer_lag_seconds') === 0;
    }, 20_000),
    'once the lock is gone, the lag is back to 0',
  );
  t.ok(await agreeWithin(app.url, processors, 21, 15_000), 'and every payment is recorded: our summary equals theirs');
});

t.test(
  'a Redis that runs commands and holds every answer back: /metrics keeps answering, and counts what is not durable',
  skipWithoutRedis,
  async (t) => {
    const redis = await ownRedis(t);
    const relay = await answersHeldBack(t, redis.port);
    const { app } = await startAppWithProcessors(t, { redisUrl: relay.url });
    t.equal((await postPayment(app.url, newPayment())).status, 202, 'Redis answering');
    const durable = async () =>
      seriesIn(await (await fetch(`${app.url}/metrics`)).text(), 'rinha_payments_not_durable');
    t.ok(await eventually(async () => (await durable()) === 0), 'its claim landed');
    relay.hold();
    for (let i = 0; i < 10; i++) t.equal((await postPayment(app.url, newPayment())).status, 202, 'accepted');
    const statuses: number[] = [];
    let notDurable = NaN;
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${app.url}/metrics`);
      statuses.push(res.status);
      if (res.ok) notDurable = seriesIn(await res.text(), 'rinha_payments_not_durable');
      await sleep(250);
    }
    relay.release();
    t.same(
      statuses.filter((s) => s !== 200),
      [],
      '/metrics answered every time while Redis held its answers back',
    );
    t.equal(notDurable, 10, 'and counted the 10 payments whose claim has not landed');
  },
);

t.test('a silent Postgres past MAX_HELD: 503, not 202, until it answers; nothing acknowledged is lost', async (t) => {
  const relay = await postgresRelay(t);
  const { processors, app } = await startAppWithProcessors(t, {
    databaseUrl: relay.url,
    databaseQueryTimeoutMs: 1000,
    maxHeld: 100,
  });
  relay.blackhole();
  const answers: { id: string; status: number; body: string }[] = [];
  for (let i = 0; i < 150; i++) {
    const p = newPayment();
    const res = await postPayment(app.url, p);
    answers.push({ id: p.correlationId, status: res.status, body: JSON.stringify(res.json) });
    await sleep(5);
  }
  const acknowledged = answers.filter((a) => a.status === 202);
  const refused = answers.filter((a) => a.status === 503);
  t.equal(acknowledged.length + refused.length, 150, 'every POST answered 202 or 503');
  t.ok(
    acknowledged.length >= 100 && acknowledged.length < 150,
    `202 up to the bound, then 503 (${acknowledged.length} and ${refused.length})`,
  );
  t.match(refused[0]?.body, /MAX_HELD/, 'the 503 says why');
  const ready = await fetch(`${app.url}/ready`);
  t.same([ready.status, await ready.json()], [503, { status: 'not-ready', reason: 'held' }], '/ready says so too');
  relay.restore();
  t.ok(
    await agreeWithin(app.url, processors, acknowledged.length, 15_000),
    'once Postgres answers, every 202 is recorded: our summary equals theirs',
  );
  t.equal(
    refused.reduce((n, a) => n + processors.calls('default', a.id) + processors.calls('fallback', a.id), 0),
    0,
    'no payment answered 503 reached a processor',
  );
  t.equal((await postPayment(app.url, newPayment())).status, 202, 'and new payments are welcome again');
});

/**
 * A relay to Redis that, once armed, lets a command naming `marker` through, lets Redis run it, then drops
 * its answer and cuts the connection: a command that ran and whose reply was lost.
 */
async function redisRelayLosingReply(t: { teardown(fn: () => unknown): void }, port: number, marker: string) {
  const state = { armed: false, cut: false };
  const relayPort = await tcpRelay(t, port, (c) => {
    let dropNextReply = false;
    return {
      toServer: (d, forward) => {
        if (state.armed && d.includes(marker)) {
          state.armed = false;
          dropNextReply = true;
        }
        forward(d);
      },
      toClient: (d, forward) => {
        if (!dropNextReply) return forward(d);
        state.cut = true;
        c.cut();
      },
    };
  });
  return { url: `redis://127.0.0.1:${relayPort}`, state };
}

t.test('the take-over of a dead instance runs, and its answer is lost: every orphan is recorded', async (t) => {
  const ns = namespace(t);
  const relay = await redisRelayLosingReply(t, 6379, `${ns.redisPrefix}pending:ghost`);
  const { processors, app } = await startAppWithProcessors(t, { redisUrl: relay.url }, ns);
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  // A dead instance with nothing pending: its take-over runs once unharmed, so Redis knows the script.
  await redis.sadd(`${ns.redisPrefix}instances`, 'warm');
  t.ok(await eventually(async () => !(await redis.sismember(`${ns.redisPrefix}instances`, 'warm')), 5000));
  relay.state.armed = true;
  // A dead instance's leftovers: pending, no heartbeat.
  const orphans = Array.from({ length: 10 }, () => newPayment(3.03).correlationId);
  const fields = orphans.flatMap((id) => [id, JSON.stringify({ a: 303, t: Date.now() })]);
  await redis.hset(`${ns.redisPrefix}pending:ghost`, ...fields);
  await redis.sadd(`${ns.redisPrefix}instances`, 'ghost');
  t.ok(await eventually(async () => relay.state.cut, 5000), 'the take-over ran, and its answer was cut off');
  t.equal(await redis.exists(`${ns.redisPrefix}pending:ghost`), 0, 'Redis ran it: the orphans moved');
  t.ok(await agreeWithin(app.url, processors, 10, 10_000), 'within 10 s every orphan is recorded, summary equal');
});

t.test(
  'replicas that stop answering under load (REDIS_MIN_REPLICAS=1): no instance takes over another, none sent twice',
  skipWithoutRedis,
  async (t) => {
    const primary = await ownRedis(t);
    const replicas = [await ownRedis(t, primary.port), await ownRedis(t, primary.port)];
    for (const r of replicas) t.ok(await replicating(r), `the replica on ${r.port} follows the primary`);
    const processors = await startProcessors(t);
    const ns = namespace(t);
    const events: string[] = [];
    const log = createLogger('x', 'info', (line) => void events.push((JSON.parse(line) as { event: string }).event));
    const settings = {
      ...ns,
      redisUrl: primary.url,
      defaultUrl: processors.url.default,
      fallbackUrl: processors.url.fallback,
      redisMinReplicas: 1,
      // Each WAIT holds its connection up to 2 s: on main, a heartbeat queued behind two of them missed its
      // 3 s TTL (at 500 ms it did not show).
      redisReplicaWaitMs: 2000,
      heartbeatMs: 1000, // a 3 s TTL, as deployed
      coreThread: false, // its log is the one given here
    };
    const apps = [
      await startTestApp(t, { ...settings, instanceId: 'a' }, log),
      await startTestApp(t, { ...settings, instanceId: 'b' }, log),
    ];
    const loads = apps.map((app) => steadyLoad(app.url, 16_000));
    await sleep(2000);
    for (const r of replicas) r.process.kill('SIGSTOP');
    await sleep(10_000);
    for (const r of replicas) r.process.kill('SIGCONT');
    const answered = (await Promise.all(loads)).flat();
    t.same(
      answered.filter((a) => a.status !== 202 && a.status !== 503),
      [],
      `every POST answered 202 or 503 (${answered.filter((a) => a.status === 202).length} 202)`,
    );
    const ids = answered.filter((a) => a.status === 202).map((a) => a.id);
    t.ok(
      await eventually(async () => (await recordedTotal(apps[0].url)) === ids.length, 30_000),
      'every acknowledged payment recorded',
    );
    t.equal(events.filter((e) => e === 'payments-recovered').length, 0, 'no instance took over the other');
    t.same(
      ids.filter((id) => processors.calls('default', id) + processors.calls('fallback', id) > 1),
      [],
      'none sent twice',
    );
    await recordedExactlyOnce(t, processors, ids);
  },
);

/** A relay to Postgres that holds back every query naming `marker` for `delayMs`: a summary answered late. */
async function slowQueryRelay(t: { teardown(fn: () => unknown): void }, marker: string, delayMs: number) {
  const port = await tcpRelay(t, 5432, () => {
    let inOrder = Promise.resolve();
    return {
      toServer: (d, forward) => {
        const held = d.includes(marker);
        inOrder = inOrder.then(() => (held ? sleep(delayMs) : undefined)).then(() => forward(d));
      },
    };
  });
  return `postgres://postgres@127.0.0.1:${port}/test`;
}

t.test(
  'eight unbounded summaries at once, each slow, while payments come in: the look-ups are not held up',
  async (t) => {
    const databaseUrl = await slowQueryRelay(t, 'GROUP BY processor', 1500);
    const { processors, app } = await startAppWithProcessors(t, { databaseUrl });
    let summarizing = true;
    const readers = Array.from({ length: 8 }, async () => {
      while (summarizing) await getSummary(app.url).catch(() => undefined);
    });
    await sleep(300); // every reader has a summary under way
    const posted: { id: string; at: number }[] = [];
    for (let i = 0; i < 100; i++) {
      const p = newPayment();
      posted.push({ id: p.correlationId, at: Date.now() });
      t.equal((await postPayment(app.url, p)).status, 202);
      await sleep(30);
    }
    const delays: number[] = [];
    t.ok(
      await eventually(async () => processors.stats('default').payments >= posted.length, 30_000),
      'every payment sent',
    );
    summarizing = false;
    for (const { id, at } of posted) {
      const held = await processors.record('default', id);
      if (held) delays.push(Date.parse(held.requestedAt) - at);
    }
    delays.sort((a, b) => a - b);
    const p99 = delays[Math.ceil(0.99 * delays.length) - 1];
    t.equal(delays.length, posted.length, 'each found at default');
    t.ok(p99 < 1000, `from POST to the processor, p99 ${p99} ms (under 1 s: the look-ups did not wait for summaries)`);
    await Promise.all(readers);
  },
);
