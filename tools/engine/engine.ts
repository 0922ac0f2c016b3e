// A Docker engine to test with: Debian's docker.io, docker-compose and debootstrap installed if missing,
// dockerd started if none answers (and stopped at the end only if started here), and the stand-in base
// images built (standins/build.sh).
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { must, run } from './shell';

const PACKAGES: Record<string, string> = {
  dockerd: 'docker.io',
  'docker-compose': 'docker-compose',
  debootstrap: 'debootstrap',
};

async function has(command: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${command} || test -x /usr/sbin/${command}`])).code === 0;
}

/** Installs what is missing from Debian's packages. */
export async function ensurePackages(log: (line: string) => void): Promise<void> {
  const missing: string[] = [];
  for (const [command, pkg] of Object.entries(PACKAGES)) if (!(await has(command))) missing.push(pkg);
  if (missing.length === 0) return;
  log(`installing ${missing.join(', ')} from Debian's packages`);
  await must('apt-get', ['update', '-qq']);
  await must('apt-get', ['install', '-y', '-qq', ...missing], { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
}

const answers = async () => (await run('docker', ['info', '--format', '{{.ServerVersion}}'])).code === 0;

/** Starts dockerd when no engine answers; returns how to stop it again (a no-op when it was already running). */
export async function ensureDockerd(runDir: string, log: (line: string) => void): Promise<() => Promise<void>> {
  if (await answers()) return async () => undefined;
  mkdirSync(runDir, { recursive: true });
  const logPath = join(runDir, 'dockerd.log');
  log(`starting dockerd (log: ${logPath})`);
  const out = openSync(logPath, 'a');
  const daemon = spawn(existsSync('/usr/sbin/dockerd') ? '/usr/sbin/dockerd' : 'dockerd', [], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  daemon.unref();
  for (let i = 0; i < 120 && !(await answers()); i++) await sleep(250);
  if (!(await answers())) throw new Error(`dockerd did not answer within 30 s: see ${logPath}`);
  return async () => {
    log('stopping the dockerd started here');
    daemon.kill('SIGTERM');
    for (let i = 0; i < 80 && (await answers()); i++) await sleep(250);
  };
}

/** The stand-in base images the compose file and the Dockerfile name (rebuilt only when their recipe changed). */
export async function buildStandins(root: string, log: (line: string) => void): Promise<void> {
  const out = await must('bash', [join(root, 'tools', 'engine', 'standins', 'build.sh')]);
  for (const line of out.trim().split('\n')) if (line) log(line.replace(/^\[standins\] /, ''));
}
