// The native Nginx configuration: the repository's nginx.conf (the one Docker Compose
// uses), with this run's socket directory and port. One file to tune, two ways to run.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root: the nearest folder above this file holding nginx.conf (works from src/ and dist/). */
export function repoRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nginx.conf')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no nginx.conf above ${from}`);
  }
}

export interface NginxOptions {
  port: number;
  socketDir: string;
  errorLog: string;
  /** The instances behind it (app1, app2 when not given): the upstream and the per-instance routes list them. */
  instances?: string[];
}

// The upstream's two servers, with their parameters (max_fails=0), which each rendered server keeps.
const UPSTREAM_SERVERS =
  /^( *)server unix:\/run\/sockets\/app1\.sock( [^;]*)?;\n *server unix:\/run\/sockets\/app2\.sock[^;]*;\n/m;
const INSTANCE_ROUTE = '^/instances/(app1|app2)/';

export function renderNginxConfig(template: string, options: NginxOptions): string {
  if (!template.includes('listen 9999') || !template.includes('/run/sockets/'))
    throw new Error('nginx.conf no longer has the "listen 9999" and "/run/sockets/" this renderer replaces');
  const instances = options.instances ?? ['app1', 'app2'];
  if (!UPSTREAM_SERVERS.test(template) || !template.includes(INSTANCE_ROUTE))
    throw new Error('nginx.conf no longer lists app1 and app2 as this renderer expects (upstream and /instances/)');
  for (const name of instances)
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`instance name "${name}": use lower-case letters, digits and -`);
  return template
    .replace(UPSTREAM_SERVERS, (_, indent: string, params: string | undefined) =>
      instances.map((name) => `${indent}server unix:/run/sockets/${name}.sock${params ?? ''};\n`).join(''),
    )
    .replace(INSTANCE_ROUTE, `^/instances/(${instances.join('|')})/`)
    .replace(/listen 9999/g, `listen ${options.port}`)
    .replace(/\/run\/sockets\//g, `${options.socketDir.replace(/\/$/, '')}/`)
    .replace(/error_log \/dev\/stderr/g, `error_log ${options.errorLog}`);
}

export function nativeNginxConfig(options: NginxOptions): string {
  return renderNginxConfig(readFileSync(join(repoRoot(), 'nginx.conf'), 'utf8'), options);
}
