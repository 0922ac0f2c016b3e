// Postgres and Redis must be up before the apps start. When one is down and it is
// local, start it the way this machine's packages install it; otherwise say exactly
// what to do.
import { holdsWithin } from '../kit/until';
import { execSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import Redis from 'ioredis';
import { Client } from 'pg';

export class ServiceUnavailableError extends Error {}

const isLocal = (host: string) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);

export async function postgresReachable(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function redisReachable(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export function postgresStartCommand(): string | null {
  if (!existsSync('/etc/postgresql')) return null;
  const versions = readdirSync('/etc/postgresql');
  return versions.length > 0 ? `pg_ctlcluster --skip-systemctl-redirect ${versions[0]} main start` : null;
}

export const REDIS_START_COMMAND =
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis ' +
  '--logfile /var/log/redis/ci.log';

export async function ensurePostgres(url: string, log: (line: string) => void = console.log): Promise<void> {
  if (await postgresReachable(url)) return;
  const command = postgresStartCommand();
  if (!isLocal(new URL(url).hostname) || !command) {
    throw new ServiceUnavailableError(
      `PostgreSQL is not reachable at ${url}. Start it (on Debian: apt-get install -y postgresql, then ` +
        `pg_ctlcluster <version> main start) or set DATABASE_URL.`,
    );
  }
  log(`PostgreSQL is down; starting it: ${command}`);
  try {
    execSync(command, { stdio: 'ignore' });
  } catch {
    /* it may already be starting; the check below decides */
  }
  if (!(await holdsWithin(() => postgresReachable(url), 15_000, 250)))
    throw new ServiceUnavailableError(`PostgreSQL did not come up at ${url} after: ${command}`);
}

export async function ensureRedis(url: string, log: (line: string) => void = console.log): Promise<void> {
  if (await redisReachable(url)) return;
  let installed: boolean;
  try {
    execSync('command -v redis-server', { stdio: 'ignore' });
    installed = true;
  } catch {
    installed = false;
  }
  if (!isLocal(new URL(url).hostname) || !installed) {
    throw new ServiceUnavailableError(
      `Redis is not reachable at ${url}. Start it (on Debian: apt-get install -y redis-server, then ` +
        `${REDIS_START_COMMAND}) or set REDIS_URL.`,
    );
  }
  log(`Redis is down; starting it: ${REDIS_START_COMMAND}`);
  mkdirSync('/var/lib/redis', { recursive: true });
  mkdirSync('/var/log/redis', { recursive: true });
  execSync(REDIS_START_COMMAND, { stdio: 'ignore' });
  if (!(await holdsWithin(() => redisReachable(url), 10_000, 250)))
    throw new ServiceUnavailableError(`Redis did not come up at ${url} after: ${REDIS_START_COMMAND}`);
}

/** Where Debian and source builds put the nginx binary. */
export const NGINX_PATHS = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];
export const NGINX_INSTALL_COMMAND = 'apt-get update && apt-get install -y nginx';

function canInstallPackages(): boolean {
  try {
    execSync('command -v apt-get', { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

/**
 * The nginx binary. When it is missing and this user may install Debian's packages (root, apt-get),
 * installs it the way .ci/run does, saying so; otherwise says exactly what to run.
 */
export function ensureNginx(
  log: (line: string) => void = console.log,
  paths: string[] = NGINX_PATHS,
  mayInstall: () => boolean = canInstallPackages,
): string {
  const found = () => paths.find((p) => existsSync(p));
  const present = found();
  if (present) return present;
  if (!mayInstall()) {
    throw new ServiceUnavailableError(
      `Nginx is not installed. Install it (as root: ${NGINX_INSTALL_COMMAND}), then run again.`,
    );
  }
  log(`Nginx is not installed; installing it from Debian's packages: ${NGINX_INSTALL_COMMAND}`);
  try {
    execSync(NGINX_INSTALL_COMMAND, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch {
    /* the check below says what is missing */
  }
  const installed = found();
  if (!installed) throw new ServiceUnavailableError(`Nginx is still missing after: ${NGINX_INSTALL_COMMAND}`);
  return installed;
}

/** Fails with a clear message when a TCP port this run needs is taken (by an earlier npm start, say). */
export async function ensurePortFree(port: number, what: string): Promise<void> {
  if (port === 0) return;
  const server = createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, () => resolve(true));
  });
  if (free) await new Promise((r) => server.close(r));
  else {
    throw new ServiceUnavailableError(
      `port ${port} (${what}) is already in use: stop what holds it (an earlier npm start?) or choose another port.`,
    );
  }
}
