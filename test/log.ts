import t from 'tap';
import { createLogger, silentLogger } from '../src/log';

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
  t.same(warn.err, { message: 'redis down', name: 'TypeError' }, 'errors are serialised');
  const quiet: string[] = [];
  createLogger('x', 'silent', (l) => quiet.push(l)).error('nothing');
  t.same(quiet, []);
  const unknown: string[] = [];
  createLogger('x', 'verbose', (l) => unknown.push(l)).debug('d');
  t.same(unknown, [], 'an unknown level means info');
  silentLogger.error('nothing either');
});
