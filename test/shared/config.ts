import t from 'tap';
import { ConfigError, loadConfig, settings, settingsTable } from '../../src/shared/config';

t.test('ConfigError is an Error', async (t) => t.ok(new ConfigError('x') instanceof Error));

t.test('defaults, parsing and overrides', async (t) => {
  const c = loadConfig({});
  t.equal(c.port, 9999);
  t.equal(c.consistencyHorizonMs, 1500);
  t.match(c.instanceId, /-\d+$/, 'an instance id is made up when none is given');
  const e = loadConfig({ PORT: '8080', INSTANCE_ID: 'app1', REDIS_PREFIX: 'x:', DEFAULT_WAIT_MS: '0', LOG_LEVEL: '' });
  t.equal(e.port, 8080);
  t.equal(e.instanceId, 'app1');
  t.equal(e.redisPrefix, 'x:');
  t.equal(e.defaultWaitMs, 0);
  t.equal(e.logLevel, 'info', 'an empty variable means the default');
  t.equal(loadConfig({ PORT: '1' }, { port: 2 }).port, 2, 'overrides win');
  t.ok(Object.isFrozen(c));
});

t.test('bad values are refused with the variable named', async (t) => {
  for (const [env, value] of [
    ['PORT', 'abc'],
    ['PORT', '1.5'],
    ['PORT', '-1'],
    ['WRITER_FLUSH_MS', ' '],
  ]) {
    t.throws(
      () => loadConfig({ [env]: value }),
      new RegExp(`^${env} must be a non-negative integer`),
      `${env}=${JSON.stringify(value)}`,
    );
  }
  t.throws(() => loadConfig({ CORE_NICE: '20' }), /^CORE_NICE must be at most 19, got "20"/, 'nice values stop at 19');
  t.equal(loadConfig({ CORE_NICE: '19' }).coreNice, 19);
  t.throws(
    () => loadConfig({ LOG_LEVEL: 'verbose' }),
    /^LOG_LEVEL must be one of debug, info, warn, error, silent, got "verbose"/,
    'a log level that does not exist is refused, not read as info',
  );
  t.equal(loadConfig({ LOG_LEVEL: 'warn' }).logLevel, 'warn');
  t.throws(
    () => loadConfig({ BREAKER_COOLDOWN_MS: 'soon' }),
    /BREAKER_COOLDOWN_MS must be a non-negative integer, got "soon"/,
    'the message names the setting and the value',
  );
});

t.test('the settings table documents every variable', async (t) => {
  const table = settingsTable();
  for (const s of Object.values(settings)) t.match(table, `| \`${s.env}\` |`, s.env);
  t.equal(table.split('\n').length, Object.keys(settings).length + 2);
});
