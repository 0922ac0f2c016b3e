import t from 'tap';
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/shared/config';
import { clusterView } from '../../src/core/cluster-view';
import { StatusBoard, type InstanceStatus } from '../../src/core/instance-status';
import { startStatusPublishing } from '../../src/core/status-publisher';
import type { IntakeGate } from '../../src/core/intake-gate';
import { FORGET_AFTER_MS, InstanceStatuses } from '../../src/store/instance-statuses';
import { PendingPayments } from '../../src/store/pending-payments';
import { createServer, type AddressInfo } from 'node:net';
import { scratchRedis } from '../fixtures/pipeline';
import { supervisorSnapshot } from '../fixtures/supervisor-snapshot';

const { redis, prefix } = scratchRedis(t, 'cluster-view');
const config = loadConfig({}, { redisPrefix: prefix, instanceId: 'app1', heartbeatMs: 100 });
const statusOf = (instance: string, at: number): InstanceStatus =>
  new StatusBoard(instance).record(supervisorSnapshot(), null, at);

t.test(
  'every published status with its liveness and age; stale past three heartbeats; old ones forgotten',
  async (t) => {
    const statuses = new InstanceStatuses(redis, prefix);
    const now = Date.now();
    const own = new PendingPayments(redis, prefix, 'app1', 60_000);
    const peer = new PendingPayments(redis, prefix, 'app2', 60_000);
    await own.heartbeat(10_000);
    await peer.heartbeat(10_000);
    await statuses.publish('app2', JSON.stringify(statusOf('app2', now - 100)));
    await statuses.publish('app3', JSON.stringify(statusOf('app3', now - 1000)));
    await statuses.publish('app4', JSON.stringify(statusOf('app4', now - FORGET_AFTER_MS - 1)));
    await statuses.publish('app5', '{not json');
    await statuses.publish('app1', JSON.stringify(statusOf('app1', now - 5000)));
    const view = await clusterView(config, statusOf('app1', now), { statuses, pending: own }, now);
    t.match(view, { answeredBy: 'app1', redis: 'ok', staleAfterMs: 300 });
    t.same(
      view.instances.map((i) => [i.status.instance, i.live, i.ageMs, i.stale]),
      [
        ['app1', true, 0, false],
        ['app2', true, 100, false],
        ['app3', false, 1000, true],
      ],
      "its own status read now, not the one it published; a peer's as published",
    );
    await sleep(50);
    t.same(
      Object.keys(await statuses.readAll()).sort(),
      ['app1', 'app2', 'app3'],
      'the old and the unreadable deleted',
    );
  },
);

t.test('a Redis that takes the connection and never answers: the instance alone, said so', async (t) => {
  // Accepts connections and says nothing: ioredis waits for its answers with no time-out of its own.
  const mute = createServer(() => undefined);
  await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
  t.teardown(() => mute.close());
  const port = (mute.address() as AddressInfo).port;
  const silent = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, enableReadyCheck: false });
  silent.on('error', () => undefined);
  t.teardown(() => silent.disconnect());
  const started = Date.now();
  const view = await clusterView(
    config,
    statusOf('app1', started),
    { statuses: new InstanceStatuses(silent, prefix), pending: new PendingPayments(silent, prefix, 'app1', 60_000) },
    started,
  );
  t.same(view.redis, 'unreachable');
  t.ok(Date.now() - started < 2000, 'answered without waiting for Redis');
  t.same(
    view.instances.map((i) => [i.status.instance, i.live]),
    [['app1', null]],
  );
});

t.test('publishing: the status every heartbeat, and the cluster as this instance sees it', async (t) => {
  const pending = new PendingPayments(redis, `${prefix}pub:`, 'app1', 60_000);
  await pending.heartbeat(10_000);
  const gate = { refusal: 'held' } as unknown as IntakeGate;
  const publishing = startStatusPublishing(
    { ...config, redisPrefix: `${prefix}pub:` },
    { redis, pending },
    gate,
    async () => supervisorSnapshot({ accepted: 7 }),
  );
  t.teardown(() => publishing.stop());
  await sleep(350);
  const published = await new InstanceStatuses(redis, `${prefix}pub:`).readAll();
  const status = JSON.parse(published.app1) as InstanceStatus;
  t.match(status, { instance: 'app1', refusing: 'held', supervisor: { accepted: 7 } });
  t.ok(status.trend.length >= 2, `a point per heartbeat (${status.trend.length})`);
  const view = await publishing.cluster();
  t.same(
    view.instances.map((i) => [i.status.instance, i.live, i.status.refusing]),
    [['app1', true, 'held']],
  );
});
