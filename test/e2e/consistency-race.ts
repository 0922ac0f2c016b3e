// The contest's consistency check, raced on purpose. A check reads our summary and the processors' at the
// same moment; the processors count what they stored before they were asked. These tests make the moments
// that used to differ happen every time: a payment stored while our summary was still gathering its rows,
// a requestedAt stamped long before the call went out, and a processor that already held the id.
import t from 'tap';
import { request } from 'undici';
import {
  assertMatchesProcessors,
  eventually,
  getSummary,
  newPayment,
  postPayment,
  recordedTotal,
  REDIS_URL,
  sleep,
  startAppWithProcessors,
  summariesAgree,
  type Processors,
} from '../fixtures/pipeline';
import Redis from 'ioredis';

/** Another instance, as far as the summary barrier can tell, that takes `delayMs` to flush its writers. */
async function slowBarrierPeer(t: { teardown(fn: () => unknown): void }, prefix: string, delayMs: number) {
  const subscriber = new Redis(REDIS_URL);
  const publisher = new Redis(REDIS_URL);
  t.teardown(() => {
    subscriber.disconnect();
    publisher.disconnect();
  });
  subscriber.on('message', (channel: string, nonce: string) => {
    if (channel === `${prefix}flush`)
      setTimeout(() => void publisher.publish(`${prefix}flush-ack`, nonce).catch(() => undefined), delayMs);
  });
  await subscriber.subscribe(`${prefix}flush`);
}

async function allRecorded(url: string, n: number): Promise<void> {
  if (!(await eventually(async () => (await recordedTotal(url)) === n, 15_000)))
    throw new Error(`expected ${n} payments recorded, have ${await recordedTotal(url)}`);
}

async function processorsSummary(processors: Processors, from: string, to: string) {
  const [d, f] = await Promise.all([processors.summary('default', from, to), processors.summary('fallback', from, to)]);
  return { default: d.totalRequests, fallback: f.totalRequests };
}

t.test('a summary read together with the processors counts the same payments, however long ours gathers', async (t) => {
  const { processors, ns, app } = await startAppWithProcessors(t, {
    writerFlushMs: 1, // what is answered is in the table at once: only the moment of the summary tells
    summaryBarrierMs: 2000,
    healthIntervalMs: 3_600_000, // no health report tells it the processor slowed down
  });
  await slowBarrierPeer(t, ns.redisPrefix, 300);
  await processors.setDelay('default', 103);
  for (let i = 0; i < 3; i++) t.equal((await postPayment(app.url, newPayment())).status, 202);
  await allRecorded(app.url, 3);

  await processors.setDelay('default', 2000); // healthy, and now 2 s: the official test's last stage
  const postedAt = Date.now();
  const from = new Date(postedAt - 60_000).toISOString();
  const to = new Date(postedAt + 60_000).toISOString();
  t.equal((await postPayment(app.url, newPayment())).status, 202, 'X is accepted');
  await sleep(postedAt + 1950 - Date.now()); // X cannot be stored before postedAt + 2000
  const [theirs, ours] = await Promise.all([processorsSummary(processors, from, to), getSummary(app.url, from, to)]);
  const oursTook = Date.now() - postedAt - 1950;
  t.ok(oursTook >= 250, `our summary took ${oursTook} ms (the slow peer): X was stored meanwhile`);
  t.same(theirs, { default: 3, fallback: 0 }, 'the processor had not stored X when it was asked');
  t.same(
    { default: ours.default.totalRequests, fallback: ours.fallback.totalRequests },
    theirs,
    'ours, asked at the same moment, counts what theirs counts',
  );
  await allRecorded(app.url, 4);
  t.ok((await summariesAgree(app.url, processors, from, to)).equal, 'and once X is stored, both count it');
});

t.test('requestedAt is the moment the call goes out: a long look-up wait does not make it late', async (t) => {
  const { processors, ns, app } = await startAppWithProcessors(t, {
    lookupBatchMs: 300, // each claimed payment waits up to 300 ms for its look-up before it is sent
  });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const p = newPayment();
    ids.push(p.correlationId);
    t.equal((await postPayment(app.url, p)).status, 202);
    await sleep(40);
  }
  await allRecorded(app.url, 5);
  const res = await request(`${processors.url.default}/admin/late-payments?afterMs=100`, {
    headers: { 'x-rinha-token': '123' },
  });
  const late = (await res.body.json()) as { payments: [number, number][] };
  t.same(late.payments, [], 'the processor stored each within 100 ms of its requestedAt (its delay is 0)');
  await assertMatchesProcessors(t, app.url, processors, ns.databaseSchema, ids);
});

t.test('a processor that already holds the id: recorded as it holds it, amount and requestedAt', async (t) => {
  const { processors, ns, app } = await startAppWithProcessors(t);
  const x = newPayment(2);
  const seeded = await request(`${processors.url.default}/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ correlationId: x.correlationId, amount: 1, requestedAt: new Date().toISOString() }),
  });
  await seeded.body.dump();
  t.equal(seeded.statusCode, 200, 'the processor holds X at 1.00');
  t.equal((await postPayment(app.url, x)).status, 202, 'X posted to us for 2.00');
  await allRecorded(app.url, 1);
  const { ours, theirs, equal } = await summariesAgree(app.url, processors);
  t.ok(equal, `our summary equals the processor's: ours ${JSON.stringify(ours)}, theirs ${JSON.stringify(theirs)}`);
  t.equal(ours.default.totalAmount, 1);
  await assertMatchesProcessors(t, app.url, processors, ns.databaseSchema, [x.correlationId]);
});
