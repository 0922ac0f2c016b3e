// The parts of the multi-host layout, each started inside its host (network.ts): Postgres (a cluster of
// its own, in a temp directory), Redis servers and sentinels, app instances (this build, over TCP) and
// Nginx (nginx-ha.conf, its upstream pointed at the instances' addresses). Every part is one process
// whose pid is the server itself (`ip netns exec` and `setpriv` exec it), so a signal reaches it.
import { nginxArgs, REDIS_SERVER, redisServerArgs, sentinelConf } from '../kit/servers';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inHost, type Host } from './network';
import { repoRoot } from '../launcher/nginx-config';
import { INSTANCE_NODE_FLAGS } from '../launcher/stack';

export interface Part {
  name: string;
  host: Host;
  child: ChildProcess;
  /** Sends a signal to the server process (SIGKILL, SIGSTOP, SIGCONT). */
  signal(sig: NodeJS.Signals): void;
}

function run(host: Host, name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Part {
  const [cmd, argv] = inHost(host, command, args);
  const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.once('exit', (code, sig) => {
    if (code && code !== 0) console.error(`${name} exited ${code ?? sig}: ${stderr}`);
  });
  return { name, host, child, signal: (sig) => void child.kill(sig) };
}

const PG_BIN = () => {
  const versions = execFileSync('ls', ['/usr/lib/postgresql'], { encoding: 'utf8' }).trim().split('\n');
  return `/usr/lib/postgresql/${versions[versions.length - 1]}/bin`;
};

function postgresIds(): { uid: string; gid: string } {
  return {
    uid: execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim(),
    gid: execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim(),
  };
}

/** A fresh cluster in `dir` (trust for the hosts' network), its server on the host's address, port 5432. */
export function startPostgres(host: Host, dir: string): Part {
  const { uid, gid } = postgresIds();
  mkdirSync(dir, { recursive: true });
  chownSync(dir, Number(uid), Number(gid));
  const asPostgres = ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups'];
  execFileSync(
    asPostgres[0],
    [...asPostgres.slice(1), `${PG_BIN()}/initdb`, '-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync'],
    {
      stdio: 'ignore',
    },
  );
  writeFileSync(join(dir, 'pg_hba.conf'), 'local all all trust\nhost all all 10.77.0.0/24 trust\n');
  const settings = ['-c', `listen_addresses=${host.ip}`, '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off'];
  return run(host, 'postgres', asPostgres[0], [...asPostgres.slice(1), `${PG_BIN()}/postgres`, '-D', dir, ...settings]);
}

/** A redis-server on the host's address, port 6379, nothing on disk; with `primary`, its replica. */
export function startRedis(host: Host, dir: string, primary?: Host): Part {
  // A directory of its own: a replica writes the primary's snapshot there when it syncs.
  const own = join(dir, host.name);
  mkdirSync(own, { recursive: true });
  const replicaOf = primary ? { host: primary.ip, port: 6379 } : undefined;
  const args = redisServerArgs({ port: 6379, bind: host.ip, dir: own, replicaOf, protectedMode: false });
  return run(host, `redis ${host.name}`, REDIS_SERVER, args);
}

/** A sentinel on the host's address, port 26379, watching `primary` as `masterName` (quorum 2). */
export function startSentinel(host: Host, primary: Host, masterName: string, dir: string): Part {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, `${host.name}.conf`);
  const primaryAt = { host: primary.ip, port: 6379 };
  writeFileSync(
    conf,
    sentinelConf({
      port: 26379,
      bind: host.ip,
      dir,
      masterName,
      primary: primaryAt,
      downAfterMs: 1000,
      protectedMode: false,
    }),
  );
  return run(host, `sentinel ${host.name}`, REDIS_SERVER, [conf, '--sentinel']);
}

/** One app instance of this build on the host, port 8080, with these settings on top of `env`. */
export function startApp(host: Host, env: Record<string, string>): Part {
  const main = join(repoRoot(), 'dist', 'src', 'main.js');
  return run(host, host.name, process.execPath, [...INSTANCE_NODE_FLAGS, main], {
    INSTANCE_ID: host.name,
    PORT: '8080',
    LOG_LEVEL: 'warn',
    ...env,
  });
}

/** Nginx on the host, port 9999, with nginx-ha.conf's upstream pointed at the instances' addresses. */
export function startNginx(host: Host, apps: Host[], dir: string): Part {
  mkdirSync(dir, { recursive: true });
  let conf = readFileSync(join(repoRoot(), 'nginx-ha.conf'), 'utf8').replace(
    'error_log /dev/stderr',
    `error_log ${dir}/error.log`,
  );
  for (const app of apps) conf = conf.replace(`server ${app.name}:8080`, `server ${app.ip}:8080`);
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  return run(host, 'nginx', '/usr/sbin/nginx', nginxArgs(dir, file, `${dir}/nginx.pid`));
}
