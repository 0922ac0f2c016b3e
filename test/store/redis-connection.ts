import t from 'tap';
import { connectRedis, parseSentinels } from '../../src/store/redis-connection';
import { ownRedis, ownSentinels } from '../fixtures/redis-servers';

t.test('REDIS_SENTINELS is read as host:port pairs; a bad one is refused at start', async (t) => {
  t.same(parseSentinels('a:1, b:26380,c'), [
    { host: 'a', port: 1 },
    { host: 'b', port: 26380 },
    { host: 'c', port: 26379 },
  ]);
  t.same(parseSentinels(''), []);
  t.throws(() => parseSentinels('a:x'), /REDIS_SENTINELS: "a:x" is not host:port/);
});

t.test('without sentinels, REDIS_URL; with them, the primary they name', async (t) => {
  const primary = await ownRedis(t);
  const replica = await ownRedis(t, primary.port);
  const sentinels = await ownSentinels(t, primary.port, 'conn-test');
  const plain = connectRedis({ redisUrl: primary.url, redisSentinels: '', redisMasterName: 'x' });
  const viaSentinels = connectRedis({
    redisUrl: 'redis://127.0.0.1:1',
    redisSentinels: sentinels,
    redisMasterName: 'conn-test',
  });
  t.teardown(() => {
    plain.disconnect();
    viaSentinels.disconnect();
  });
  await viaSentinels.set('written-through-sentinels', '1');
  t.equal(await primary.admin.get('written-through-sentinels'), '1', 'the write went to the primary');
  t.equal(await plain.get('written-through-sentinels'), '1');
  t.match(await replica.admin.info('replication'), /role:slave/, 'not to the replica');
});
