// The baselines a latency is read against, each in a process of its own: Nginx answering a static 202,
// and our nginx.conf in front of two trivial uWS upstreams (202 at once) on Unix sockets app1.sock and
// app2.sock (and on TCP ports): the floor of the project's shape when the instances do nothing.
import { nginxArgs } from '../../kit/servers';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nativeNginxConfig } from '../../launcher/nginx-config';

const UPSTREAMS = (dir: string) => `
const uws = require(${JSON.stringify(require.resolve('@trufflesuite/uws-js-unofficial'))});
const handler = (res) => {
  res.onAborted(() => {});
  res.onData((c, last) => { if (last) res.cork(() => res.writeStatus('202 Accepted').end()); });
};
const ports = [];
for (const name of ['app1', 'app2']) {
  const app = uws.App().post('/*', handler);
  const sock = ${JSON.stringify(dir)} + '/' + name + '.sock';
  app.listen_unix(() => require('fs').chmodSync(sock, 0o666), sock);
  app.listen('127.0.0.1', 0, (s) => {
    ports.push(uws.us_socket_local_port(s));
    if (ports.length === 2) console.log(ports.join(','));
  });
}`;

export async function startTrivialUpstreams(dir: string): Promise<{ ports: number[]; stop(): void }> {
  const child = spawn(process.execPath, ['-e', UPSTREAMS(dir)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise<number[]>((resolve) =>
    child.stdout.once('data', (d) => resolve(String(d).trim().split(',').map(Number))),
  );
  return { ports, stop: () => void child.kill() };
}

export async function startNginx(dir: string, name: string, conf: string): Promise<ChildProcess> {
  const path = join(dir, `${name}.conf`);
  writeFileSync(path, conf);
  const child = spawn('/usr/sbin/nginx', nginxArgs(dir, path, `${join(dir, name)}.pid`), { stdio: 'inherit' });
  await sleep(500);
  return child;
}

/** Nginx answering 202 itself: the baseline every latency target is a ratio to. */
export function startStaticNginx(dir: string, port: number): Promise<ChildProcess> {
  return startNginx(
    dir,
    'static',
    `
worker_processes 1;
error_log ${dir}/static-error.log warn;
events { worker_connections 8192; use epoll; multi_accept on; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen ${port} backlog=4096 reuseport;
    location / { return 202; }
  }
}`,
  );
}

export interface Baselines {
  /** Nginx answering 202 itself: the baseline every latency target is a ratio to. */
  staticUrl: string;
  /** Our nginx.conf in front of two upstreams that answer 202 at once: the shape's floor. */
  floorUrl: string;
  stop(): void;
}

/** Both baselines, on `port` and `port + 1`, their files under `dir`. */
export async function startBaselines(dir: string, port: number): Promise<Baselines> {
  const trivialDir = join(dir, 'trivial');
  mkdirSync(trivialDir, { recursive: true });
  const staticNginx = await startStaticNginx(dir, port);
  const trivial = await startTrivialUpstreams(trivialDir);
  const proxy = await startNginx(
    trivialDir,
    'proxy',
    nativeNginxConfig({ port: port + 1, socketDir: trivialDir, errorLog: join(trivialDir, 'error.log') }),
  );
  return {
    staticUrl: `http://127.0.0.1:${port}`,
    floorUrl: `http://127.0.0.1:${port + 1}`,
    stop: () => {
      staticNginx.kill('SIGQUIT');
      proxy.kill('SIGQUIT');
      trivial.stop();
    },
  };
}
