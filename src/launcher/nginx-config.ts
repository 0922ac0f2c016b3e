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

export function renderNginxConfig(
  template: string,
  options: { port: number; socketDir: string; errorLog: string },
): string {
  if (!template.includes('listen 9999') || !template.includes('/run/sockets/'))
    throw new Error('nginx.conf no longer has the "listen 9999" and "/run/sockets/" this renderer replaces');
  return template
    .replace(/listen 9999/g, `listen ${options.port}`)
    .replace(/\/run\/sockets\//g, `${options.socketDir.replace(/\/$/, '')}/`)
    .replace(/error_log \/dev\/stderr/g, `error_log ${options.errorLog}`);
}

export function nativeNginxConfig(options: { port: number; socketDir: string; errorLog: string }): string {
  return renderNginxConfig(readFileSync(join(repoRoot(), 'nginx.conf'), 'utf8'), options);
}
