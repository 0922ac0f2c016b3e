// Shows the processor simulator is not the bottleneck at the official load (~600
// payments/s): the same open-loop load against the simulator and against a trivial
// node:http server answering 200, in the same run, with the ratio of their p99s.
// Run: npm run build && node dist/tools/bench/simulator.js [rate=600] [seconds=10]
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openLoop } from './load';
import { startProcessorSimulator } from '../simulator/server';

async function main(): Promise<void> {
  const rate = Number(process.argv[2] ?? 600);
  const seconds = Number(process.argv[3] ?? 10);
  const body = () =>
    JSON.stringify({ correlationId: randomUUID(), amount: 20.05, requestedAt: new Date().toISOString() });

  const trivial = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((r) => trivial.listen(0, '127.0.0.1', r));
  // A warm-up first, so neither measured run pays for the JIT.
  await openLoop(`http://127.0.0.1:${(trivial.address() as AddressInfo).port}`, '/payments', body, rate, 2);
  const baseline = await openLoop(
    `http://127.0.0.1:${(trivial.address() as AddressInfo).port}`,
    '/payments',
    body,
    rate,
    seconds,
  );
  trivial.close();

  const simulator = await startProcessorSimulator({ port: 0 });
  const cpuBefore = process.cpuUsage();
  const measured = await openLoop(simulator.url, '/payments', body, rate, seconds);
  const cpu = process.cpuUsage(cpuBefore);
  await simulator.close();

  const row = (name: string, r: typeof measured) =>
    `${name.padEnd(20)} ${r.achievedRate.toFixed(0).padStart(6)}/s  p50 ${r.p50.toFixed(3)} ms  p99 ` +
    `${r.p99.toFixed(3)} ms  max ${r.max.toFixed(1)} ms  errors ${r.errors}`;
  console.log(`open loop, ${rate} payments/s for ${seconds} s (load generator in the same process)`);
  console.log(row('trivial node:http', baseline));
  console.log(row('simulator (memory)', measured));
  console.log(
    `simulator p99 / trivial p99 = ${(measured.p99 / baseline.p99).toFixed(2)}; process CPU during the simulator ` +
      `run: ${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)}% of one core (generator included)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
