import t from 'tap';
import Redis from 'ioredis';
import { LuaScript } from '../../src/store/lua-script';
import { REDIS_URL } from '../fixtures/pipeline';

t.test('runs by SHA1, and sends the text again once Redis has forgotten it', async (t) => {
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  const key = `test:lua:${process.pid}`;
  t.teardown(() => redis.del(key));
  // A script of its own (the pid in a comment), so no other test has loaded it before.
  const script = new LuaScript(`-- ${process.pid} ${Date.now()}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`);
  t.equal(await script.run(redis, [key], ['2']), 2, 'first use: unknown to Redis, sent whole');
  t.equal(await script.run(redis, [key], ['3']), 5, 'then by its SHA1');
  await redis.script('FLUSH');
  t.equal(await script.run(redis, [key], ['4']), 9, 'after SCRIPT FLUSH (as after a restart): sent whole again');
});

t.test('errors of the script itself reach the caller', async (t) => {
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  const script = new LuaScript(`return redis.call('NOSUCHCOMMAND')`);
  await t.rejects(script.run(redis, [], []), /Unknown Redis command|unknown command/i);
});
