import t from 'tap';
import Redis from 'ioredis';
import { LuaScript } from '../../src/store/lua-script';
import { REDIS_URL } from '../fixtures/pipeline';

/** How many times Redis ran EVAL (the script's whole text) and EVALSHA, from its own command statistics. */
async function scriptCalls(redis: Redis): Promise<{ eval: number; evalsha: number }> {
  const info = await redis.info('commandstats');
  const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return { eval: calls('eval'), evalsha: calls('evalsha') };
}

t.test('runs by SHA1: the text crosses the wire only when Redis does not know the script', async (t) => {
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  const key = `test:lua:${process.pid}`;
  t.teardown(() => redis.del(key));
  // A script of its own (the pid in a comment), so no other test has loaded it before.
  const script = new LuaScript(`-- ${process.pid} ${Date.now()}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`);
  const start = await scriptCalls(redis);
  t.equal(await script.run(redis, [key], ['2']), 2, 'first use: unknown to Redis, sent whole');
  const first = await scriptCalls(redis);
  t.equal(first.eval - start.eval, 1, 'the text was sent once');
  t.equal(await script.run(redis, [key], ['3']), 5);
  t.equal(await script.run(redis, [key], ['1']), 6);
  const known = await scriptCalls(redis);
  t.same(
    [known.eval - first.eval, known.evalsha - first.evalsha],
    [0, 2],
    'then only by its SHA1, the text not sent again',
  );
  await redis.script('FLUSH');
  t.equal(await script.run(redis, [key], ['4']), 10, 'after SCRIPT FLUSH (as after a restart): sent whole again');
  t.equal((await scriptCalls(redis)).eval - known.eval, 1);
});

t.test('errors of the script itself reach the caller, without sending the text again', async (t) => {
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  const script = new LuaScript(`-- ${process.pid} ${Date.now()} failing\nreturn redis.call('NOSUCHCOMMAND')`);
  await t.rejects(script.run(redis, [], []), /Unknown Redis command|unknown command/i, 'first use');
  const before = await scriptCalls(redis);
  await t.rejects(script.run(redis, [], []), /Unknown Redis command|unknown command/i, 'known to Redis');
  t.equal(
    (await scriptCalls(redis)).eval - before.eval,
    0,
    'an error other than NOSCRIPT is not retried with the text',
  );
});
