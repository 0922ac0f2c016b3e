// Shows the processor simulator is not the bottleneck at the official load (~600
// payments/s): the same open-loop load against the simulator and against a trivial
// node:http server answering 200, in the same run, with the ratio of their p99s.
// Run: npm run build && node dist/tools/bench/simulator.js [rate=600] [seconds=10] [--json FILE]
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openLoop } from './harness/load';
import { readOptions } from './harness/options';
import { BenchReport, runBench } from './harness/report';
import { startProcessorSimulator } from '../simulator/server';

const OPTIONS = {
  rate: { kind: 'number', default: 600, help: 'payments per second (open loop)' },
  seconds: { kind: 'number', default: 10, help: 'seconds per run' },
} as const;

runBench(async () => {
  const o = readOptions('The processor simulator against a trivial server, same load', OPTIONS, ['rate', 'seconds']);
  const { rate, seconds } = o;
  const report = new BenchReport('simulator', o);
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
  report.line(`open loop, ${rate} payments/s for ${seconds} s (load generator in the same process)`);
  report.line(row('trivial node:http', baseline));
  report.line(row('simulator (memory)', measured));
  report.figure('runs', { trivial: baseline, simulator: measured });
  report.line(
    `simulator p99 / trivial p99 = ${(measured.p99 / baseline.p99).toFixed(2)}; process CPU during the simulator ` +
      `run: ${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)}% of one core (generator included)`,
  );
  report.finish();
});
