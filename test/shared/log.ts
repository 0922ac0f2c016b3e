import t from 'tap';
import { createLogger, errorFields, silentLogger } from '../../src/shared/log';

t.test('one JSON line per event, at or above the level', async (t) => {
  const lines: string[] = [];
  const log = createLogger('app1', 'info', (l) => lines.push(l));
  log.debug('hidden');
  log.info('listening', { port: 9999 });
  log.warn('claim-failed', { err: new TypeError('redis down') });
  log.error('boom');
  t.equal(lines.length, 3);
  t.ok(lines.every((l) => l.endsWith('\n')));
  const [info, warn] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(info, { level: 'info', instance: 'app1', event: 'listening', port: 9999, time: /^\d{4}-/ });
  t.match(
    warn.err,
    { message: 'redis down', name: 'TypeError', stack: /^TypeError: redis down\n\s+at / },
    'errors with their stack',
  );
  const quiet: string[] = [];
  createLogger('x', 'silent', (l) => quiet.push(l)).error('nothing');
  t.same(quiet, []);
  const unknown: string[] = [];
  createLogger('x', 'verbose', (l) => unknown.push(l)).debug('d');
  t.same(unknown, [], 'an unknown level means info');
  silentLogger.error('nothing either');
});

t.test('an error keeps its cause: the system code, what it was doing, grouped errors and causes', async (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
    code: 'ECONNREFUSED',
    syscall: 'connect',
    address: '127.0.0.1',
    port: 5432,
  });
  const lines: string[] = [];
  const log = createLogger('app1', 'info', (l) => lines.push(l));
  log.warn('lookup-failed', {
    err: new Error('look-up failed', { cause: new AggregateError([refused], 'all failed') }),
  });
  const { err } = JSON.parse(lines[0]) as { err: Record<string, unknown> };
  t.match(err, {
    message: 'look-up failed',
    cause: {
      name: 'AggregateError',
      errors: [{ code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 5432, stack: String }],
    },
  });
  let deep: Error = new Error('root');
  for (let i = 0; i < 10; i++) deep = new Error(`level ${i}`, { cause: deep });
  let depth = 0;
  for (let e = errorFields(deep); e.cause; e = e.cause as Record<string, unknown>) depth++;
  t.equal(depth, 3, 'causes followed three deep at most');
});
