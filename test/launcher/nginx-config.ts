import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nativeNginxConfig, renderNginxConfig, repoRoot } from '../../tools/launcher/nginx-config';

t.test("the repository nginx.conf, with this run's port, sockets and error log", async (t) => {
  const conf = nativeNginxConfig({ port: 12345, socketDir: '/tmp/run/', errorLog: '/tmp/run/error.log' });
  t.match(conf, /listen 12345 /);
  // max_fails=0 is kept: an instance that restarts is never marked down for 10 s.
  t.match(conf, /server unix:\/tmp\/run\/app1\.sock max_fails=0;/);
  t.match(conf, /server unix:\/tmp\/run\/app2\.sock max_fails=0;/);
  t.match(conf, /proxy_pass http:\/\/unix:\/tmp\/run\/\$1\.sock:/, 'the per-instance route too');
  t.match(conf, /error_log \/tmp\/run\/error\.log warn;/);
  t.notMatch(conf, /9999|\/run\/sockets\//, 'nothing of the Docker paths left');
});

t.test('refuses a template it cannot render, and finds the repository', async (t) => {
  t.throws(() => renderNginxConfig('events {}', { port: 1, socketDir: '/x', errorLog: '/x/e' }));
  t.ok(existsSync(join(repoRoot(), 'docker-compose.yml')));
  t.throws(() => repoRoot('/'), /no nginx.conf/);
});
