// The multi-host layout's compose file (docker-compose.ha.yml) and its Nginx (nginx-ha.conf), checked on
// the files: what the proofs of `npm run hosts:test` rely on must be what the file deploys.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseSentinels } from '../../src/store/redis-connection';

const root = join(__dirname, '..', '..');
interface Service {
  environment?: Record<string, string>;
  command?: string | string[];
  restart?: string;
}
const compose = parse(readFileSync(join(root, 'docker-compose.ha.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const nginx = readFileSync(join(root, 'nginx-ha.conf'), 'utf8');
const apps = Object.entries(compose.services).filter(([name]) => /^app\d$/.test(name));

t.test('three instances, each finding the Redis primary through the three sentinels', async (t) => {
  t.same(
    apps.map(([name]) => name),
    ['app1', 'app2', 'app3'],
  );
  for (const [name, s] of apps) {
    const env = s.environment!;
    t.equal(env.INSTANCE_ID, name);
    t.same(
      parseSentinels(env.REDIS_SENTINELS).map((x) => x.host),
      ['sentinel1', 'sentinel2', 'sentinel3'],
      `${name}: every sentinel`,
    );
    t.ok(
      env.REDIS_SENTINELS.split(',').every((a) => a.split(':')[0] in compose.services),
      'each one a service',
    );
    t.equal(env.REDIS_MIN_REPLICAS, '1', `${name}: a claim counts once a replica holds it`);
    t.equal(env.ACK_WHEN_DURABLE, 'true', `${name}: and only then is it answered 202`);
    t.notOk('REDIS_URL' in env, `${name}: no fixed Redis address to outlive a fail-over`);
    // Compose stops with this message when ADMIN_TOKEN is unset or empty; compose:test runs it.
    t.match(env.ADMIN_TOKEN, /^\$\{ADMIN_TOKEN:\?ADMIN_TOKEN must be set[^}]+\}$/, `${name}: no start without a token`);
  }
});

t.test('a primary and two replicas, so that a promoted primary still has one to confirm its writes', async (t) => {
  const replicas = Object.entries(compose.services).filter(([, s]) => String(s.command).includes('--replicaof'));
  t.equal(replicas.length, 2);
  for (const [, s] of replicas) t.match(String(s.command), /--replicaof redis-primary 6379/);
  const sentinels = Object.entries(compose.services).filter(([name]) => name.startsWith('sentinel'));
  t.equal(sentinels.length, 3, 'three sentinels: a quorum of two survives the loss of one');
  for (const [, s] of sentinels) t.match(String(s.command), /sentinel monitor rinha redis-primary 6379 2/);
  for (const [name, s] of Object.entries(compose.services)) t.equal(s.restart, 'unless-stopped', `${name} restarts`);
});

t.test('Nginx spreads over the three instances and skips one that does not answer', async (t) => {
  for (const [name] of apps) t.match(nginx, new RegExp(`server ${name}:8080 max_fails=1 fail_timeout=1s;`));
  t.match(nginx, /proxy_connect_timeout 100ms;/, 'a silent host costs a request 100 ms, not a minute');
  t.match(nginx, /proxy_next_upstream error timeout;/);
});
