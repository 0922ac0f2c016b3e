// The image has never been built here (no Docker engine), so this test shows that what it holds is
// enough to serve: it replays the Dockerfile's stages natively (npm ci, build, npm prune --omit=dev),
// then starts the final stage's directory, which holds only what that stage copies, with the image's
// CMD and the compose file's environment for app1 (URLs pointed at this machine's Postgres, Redis and
// simulators). Both files are read, not restated: change either and this test follows.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { replayDockerfile, type Stage } from '../fixtures/dockerfile';
import { DATABASE_URL, REDIS_URL, eventually, namespace, newPayment, startProcessors } from '../fixtures/pipeline';

const root = join(__dirname, '..', '..');

function overSocket(socketPath: string, method: string, path: string, body?: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** app1's environment in the compose file, ${VAR:-default} filled from the test's own environment, as Compose does. */
function app1Environment(): Record<string, string> {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { environment: Record<string, string> }>;
  };
  return Object.fromEntries(
    Object.entries(compose.services.app1.environment).map(([k, v]) => [
      k,
      String(v).replace(/\$\{(\w+):-([^}]*)\}/g, (_, name: string, dflt: string) => process.env[name] ?? dflt),
    ]),
  );
}

/** Runs the image's CMD in its workdir, stopped at teardown; returns what it has written to stderr so far. */
function runImage(t: Test, image: Stage, appDir: string, env: Record<string, string>): () => string {
  const [command, ...args] = image.cmd;
  const app = spawn(command, args, { cwd: appDir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  app.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise((resolve) => app.once('exit', resolve));
  t.teardown(async () => {
    app.kill('SIGTERM');
    await exited;
  });
  return () => stderr;
}

t.test('the image, replayed natively, listens, answers a payment with 202 and records it', async (t) => {
  const workspace = mkdtempSync(join(tmpdir(), 'image-'));
  t.teardown(() => rmSync(workspace, { recursive: true, force: true }));
  const stages = replayDockerfile(root, workspace);
  const image = stages[stages.length - 1];
  const appDir = join(image.root, image.workdir);
  t.same(readdirSync(image.root), [image.workdir.replace(/^\//, '')], 'the final stage holds only its workdir');
  t.notOk(existsSync(join(appDir, 'node_modules', 'typescript')), 'dev dependencies were pruned');
  t.notOk(existsSync(join(appDir, 'src')), 'no sources in the image, only dist');
  t.same(readdirSync(join(appDir, 'dist')), ['src'], 'only the service is built into the image, not its tools');
  t.ok(image.cmd.length > 0, `CMD ${JSON.stringify(image.cmd)}`);

  const app1 = app1Environment();
  t.equal(app1.ADMIN_TOKEN, process.env.ADMIN_TOKEN ?? '', 'ADMIN_TOKEN is passed from the shell, empty by default');
  const processors = await startProcessors(t);
  const socketPath = join(workspace, 'app1.sock');
  // What differs on this machine: where Postgres, Redis, the processors and the socket are.
  const local: Record<string, string> = {
    DATABASE_URL,
    REDIS_URL,
    PROCESSOR_DEFAULT_URL: processors.url.default,
    PROCESSOR_FALLBACK_URL: processors.url.fallback,
    SOCKET_PATH: socketPath,
  };
  for (const key of Object.keys(local)) t.ok(key in app1, `the compose file sets ${key} for app1`);
  const ns = namespace(t);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...image.env,
    ...app1,
    ...local,
    REDIS_PREFIX: ns.redisPrefix,
    DATABASE_SCHEMA: ns.databaseSchema,
  };
  const stderr = runImage(t, image, appDir, env);
  t.ok(
    await eventually(async () => existsSync(socketPath), 30_000),
    `it listens on SOCKET_PATH (stderr: ${stderr().slice(0, 500)})`,
  );
  const payment = newPayment(19.9);
  const answer = await overSocket(socketPath, 'POST', '/payments', JSON.stringify(payment));
  t.equal(answer.status, 202, 'a payment answered 202');
  t.ok(
    await eventually(async () => {
      const s = await overSocket(socketPath, 'GET', '/payments-summary');
      return (
        s.body ===
        JSON.stringify({
          default: { totalRequests: 1, totalAmount: 19.9 },
          fallback: { totalRequests: 0, totalAmount: 0 },
        })
      );
    }),
    'and recorded: our summary shows it',
  );
  t.match(await processors.summary('default'), { totalRequests: 1, totalAmount: 19.9 }, 'and so does the processor');
});
