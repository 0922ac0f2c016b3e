// The two Payment Processors, as the official setup runs them: containers named
// payment-processor-default and payment-processor-fallback on the external network payment-processor,
// listening on 8080 and published on this machine's 8001 and 8002. They run the project's simulator
// (the built dist/ of this checkout, mounted read-only) on the node stand-in image.
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessorsAdmin } from '../replay/processors-admin';
import { TimedClient } from '../replay/timed-client';
import { must, run } from './shell';

export const PROCESSOR_NETWORK = 'payment-processor';
export const SIMULATOR_PORTS = { default: 8001, fallback: 8002 } as const;
export type ProcessorName = keyof typeof SIMULATOR_PORTS;

const container = (name: ProcessorName) => `payment-processor-${name}`;

export async function startSimulatorContainers(root: string): Promise<Record<ProcessorName, string>> {
  if ((await run('docker', ['network', 'inspect', PROCESSOR_NETWORK])).code !== 0)
    await must('docker', ['network', 'create', PROCESSOR_NETWORK]);
  const urls = {} as Record<ProcessorName, string>;
  for (const name of ['default', 'fallback'] as const) {
    await run('docker', ['rm', '-f', container(name)]);
    await must('docker', [
      'run', '-d', '--name', container(name), '--network', PROCESSOR_NETWORK,
      '-p', `127.0.0.1:${SIMULATOR_PORTS[name]}:8080`,
      '-v', `${root}:/project:ro`, '-w', '/project', '-e', `SIMULATOR_NAME=${name}`,
      'node:20-bookworm-slim', 'node', 'dist/tools/bin/simulator.js',
    ]); // prettier-ignore
    urls[name] = `http://127.0.0.1:${SIMULATOR_PORTS[name]}`;
  }
  for (const name of ['default', 'fallback'] as const) {
    for (let i = 0; ; i++) {
      const ok = await fetch(`${urls[name]}/payments/service-health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 100) throw new Error(`the ${name} simulator container did not answer: ${await simulatorLogs(name)}`);
      await sleep(100);
    }
  }
  return urls;
}

export async function simulatorLogs(name: ProcessorName): Promise<string> {
  const r = await run('docker', ['logs', '--tail', '20', container(name)]);
  return `${r.stdout}${r.stderr}`.trim();
}

export async function stopSimulatorContainers(): Promise<void> {
  for (const name of ['default', 'fallback'] as const) await run('docker', ['rm', '-f', container(name)]);
}

/** Back to no delay and no failure (a replay leaves its last stage's conditions), as the replay's setup does. */
export async function resetSimulators(urls: Record<ProcessorName, string>): Promise<void> {
  const client = new TimedClient(() => Date.now(), 2);
  const admin = new ProcessorsAdmin(client, urls, '123');
  try {
    for (const name of ['default', 'fallback'] as const) await admin.apply(name, { delay: 0, failure: false });
  } finally {
    await client.close();
  }
}
