// Where one instance's CPU goes, per thread: an instance with CPU_PROFILE_DIR set, the
// simulators in a process of their own, the replay's VU pattern straight at the instance
// (no Nginx), then each thread's profile summed by package and function, and the busy
// time per payment of each thread.
// Run: npm run build && node dist/tools/bench/profile.js [users=300] [seconds=15] [--json FILE]
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { vuPatternSamples } from './harness/load';
import { readOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import { startSimulatorProcess, type SimulatorProcess } from './harness/simulator-process';
import { busySeconds, summariseProfile } from './profile-summary';
import { INSTANCE_NODE_FLAGS } from '../launcher/stack';

const OPTIONS = {
  users: { kind: 'number', default: 300, help: "virtual users of the replay's pattern" },
  seconds: { kind: 'number', default: 15, help: 'seconds of load' },
} as const;

/** One instance with CPU_PROFILE_DIR set, on `port`, answering /health. */
async function startProfiled(dir: string, port: number, simulators: SimulatorProcess) {
  const instance = spawn(process.execPath, [...INSTANCE_NODE_FLAGS, join(__dirname, '..', '..', 'src', 'main.js')], {
    env: {
      ...process.env,
      INSTANCE_ID: 'profiled',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      CPU_PROFILE_DIR: dir,
      REDIS_PREFIX: `profile:${process.pid}:`,
      DATABASE_SCHEMA: `profile_${process.pid}`,
      PROCESSOR_DEFAULT_URL: simulators.urls.default,
      PROCESSOR_FALLBACK_URL: simulators.urls.fallback,
    },
    stdio: 'inherit',
  });
  const healthy = () =>
    fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
  for (let i = 0; i < 100 && !(await healthy()); i++) await sleep(100);
  return instance;
}

runBench(async () => {
  const o = readOptions("Where one instance's CPU goes, per thread", OPTIONS, ['users', 'seconds']);
  const report = new BenchReport('profile', o);
  const dir = join(tmpdir(), `profile-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const simulators = await startSimulatorProcess({ default: 18301, fallback: 18302 });
  const port = 18380;
  const instance = await startProfiled(dir, port, simulators);
  try {
    const samples = await vuPatternSamples([{ url: `http://127.0.0.1:${port}` }], o.users, o.seconds);
    const answered = samples.filter((x) => x.ok).length;
    await new Promise((r) => {
      instance.once('exit', r);
      instance.kill('SIGTERM');
    });
    for (const thread of ['http', 'core']) {
      const file = join(dir, `profiled-${thread}.cpuprofile`);
      const busyMs = (busySeconds(file) * 1000) / answered;
      report.figure(`${thread}BusyMsPerPayment`, busyMs);
      report.line(
        `\n=== ${thread} thread: ${busyMs.toFixed(3)} ms busy per payment ` +
          `(${answered} payments, ${o.users} VUs, ${o.seconds} s)`,
      );
      report.line(summariseProfile(file, 20));
    }
  } finally {
    instance.kill('SIGKILL');
    simulators.stop();
  }
  report.finish();
});
