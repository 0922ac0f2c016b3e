// Redis that fails over: a primary, two replicas and three sentinels of the test's own, an instance that
// finds the primary through the sentinels (REDIS_SENTINELS) and counts a claim only once a replica has it
// (REDIS_MIN_REPLICAS=1). The primary is SIGKILLed under steady load; Sentinel promotes a replica and points
// the other at it, so claims are confirmed again at once. Every payment answered 202 must be recorded by
// exactly one processor, and our summary must equal theirs.
import t from 'tap';
import { existsSync } from 'node:fs';
import {
  assertMatchesProcessors,
  eventually,
  namespace,
  recordedExactlyOnce,
  recordedTotal,
  sleep,
  startProcessors,
  startTestApp,
  steadyLoad,
} from '../fixtures/pipeline';
import { ownRedis, ownSentinels, REDIS_SERVER, replicating, sentinelsReady } from '../fixtures/redis-servers';

const MASTER = 'rinha-failover';

t.test(
  'the Redis primary SIGKILLed under load: the replica is promoted, the instance follows, nothing lost or doubled',
  { skip: existsSync(REDIS_SERVER) ? false : `needs ${REDIS_SERVER}` },
  async (t) => {
    const primary = await ownRedis(t);
    const replicas = [await ownRedis(t, primary.port), await ownRedis(t, primary.port)];
    for (const r of replicas) t.ok(await replicating(r), `the replica on ${r.port} follows the primary`);
    const sentinels = await ownSentinels(t, primary.port, MASTER, { downAfterMs: 1000 });
    t.ok(await sentinelsReady(sentinels, MASTER, 2), 'each sentinel knows both replicas and its peers');
    const processors = await startProcessors(t);
    const ns = namespace(t);
    const app = await startTestApp(t, {
      ...ns,
      defaultUrl: processors.url.default,
      fallbackUrl: processors.url.fallback,
      redisSentinels: sentinels,
      redisMasterName: MASTER,
      redisMinReplicas: 1,
      redisReplicaWaitMs: 300,
      logLevel: process.env.DEBUG_FAILOVER ? 'info' : 'silent',
    });
    const load = steadyLoad(app.url, 14_000);
    await sleep(3000);
    const killedAt = Date.now();
    primary.process.kill('SIGKILL');
    const promoted = async () => {
      const roles = await Promise.all(replicas.map((r) => r.admin.info('replication')));
      return roles.some((info) => /role:master/.test(info));
    };
    t.ok(
      await eventually(promoted, 15_000),
      `Sentinel promoted a replica (${Date.now() - killedAt} ms after the kill)`,
    );
    const promotedAt = Date.now();
    const all = await load;
    const answered = all.filter((a) => a.status === 202);
    const firstAfter = answered.find((a) => a.sentAt > killedAt + 500);
    t.ok(
      firstAfter,
      `202 again after the fail-over (${firstAfter ? firstAfter.sentAt - killedAt : '-'} ms after the kill)`,
    );
    t.same(
      all.filter((a) => a.status !== 202 && a.status !== 503),
      [],
      `every POST answered 202 or 503 (${answered.length} of ${all.length} 202; promoted after ` +
        `${promotedAt - killedAt} ms)`,
    );
    const ids = answered.map((a) => a.id);
    t.ok(
      await eventually(async () => (await recordedTotal(app.url).catch(() => -1)) === ids.length, 30_000),
      `all ${ids.length} acknowledged payments recorded in our store`,
    );
    await recordedExactlyOnce(t, processors, ids);
    await assertMatchesProcessors(t, app.url, processors, ns.databaseSchema, ids);
  },
);
