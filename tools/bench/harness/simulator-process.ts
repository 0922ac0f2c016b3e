// The processor simulators in a process of their own, for benchmarks: in the
// generator's process they would share its event loop and inflate what it measures.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface SimulatorProcess {
  urls: { default: string; fallback: string };
  pid: number;
  stop(): void;
}

export async function startSimulatorProcess(ports: { default: number; fallback: number }): Promise<SimulatorProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '..', '..', 'bin', 'simulators.js')], {
    env: {
      ...process.env,
      SIMULATOR_DEFAULT_PORT: String(ports.default),
      SIMULATOR_FALLBACK_PORT: String(ports.fallback),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if ((out.match(/listening/g) ?? []).length === 2) resolve();
    });
    child.once('exit', (code) => reject(new Error(`simulators exited (${code})`)));
  });
  return {
    urls: { default: `http://127.0.0.1:${ports.default}`, fallback: `http://127.0.0.1:${ports.fallback}` },
    pid: child.pid!,
    stop: () => void child.kill('SIGTERM'),
  };
}

/** Both simulators failing (every payment 500), or answering again: through their admin route. */
export async function setProcessorsFailing(urls: Record<string, string>, failure: boolean): Promise<void> {
  await Promise.all(
    Object.values(urls).map((url) =>
      fetch(`${url}/admin/configurations/failure`, {
        method: 'PUT',
        headers: { 'x-rinha-token': '123', 'content-type': 'application/json' },
        body: JSON.stringify({ failure }),
      }),
    ),
  );
}
