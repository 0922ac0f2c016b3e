// Where one instance's CPU goes, per thread: an instance with CPU_PROFILE_DIR set, the
// simulators in a process of their own, the replay's VU pattern straight at the instance
// (no Nginx), then each thread's profile summed by package and function, and the busy
// time per payment of each thread.
// Run: npm run build && node dist/tools/bench/profile.js [users=300] [seconds=15]
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { vuPatternSamples } from './load';
import { busySeconds, summariseProfile } from './profile-summary';
import { startSimulatorProcess } from './simulator-process';
import { INSTANCE_NODE_FLAGS } from '../launcher/stack';

async function main(): Promise<void> {
  const users = Number(process.argv[2] ?? 300);
  const seconds = Number(process.argv[3] ?? 15);
  const dir = join(tmpdir(), `profile-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const simulators = await startSimulatorProcess({ default: 18301, fallback: 18302 });
  const port = 18380;
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
  try {
    for (let i = 0; i < 100; i++) {
      if (
        await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await sleep(100);
    }
    const answered = (await vuPatternSamples([{ url: `http://127.0.0.1:${port}` }], users, seconds)).filter(
      (x) => x.ok,
    ).length;
    await new Promise((r) => {
      instance.once('exit', r);
      instance.kill('SIGTERM');
    });
    for (const thread of ['http', 'core']) {
      const file = join(dir, `profiled-${thread}.cpuprofile`);
      console.log(
        `\n=== ${thread} thread: ${((busySeconds(file) * 1000) / answered).toFixed(3)} ms busy per payment ` +
          `(${answered} payments, ${users} VUs, ${seconds} s)`,
      );
      console.log(summariseProfile(file, 20));
    }
  } finally {
    instance.kill('SIGKILL');
    simulators.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
