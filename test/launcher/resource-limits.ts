// Against the machine's real control groups: where cgroup v1 is writable (as here and
// in CI, as root) the limits must hold; elsewhere create() must say why not.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  COMPOSE_LIMITS,
  describeLimits,
  isPartName,
  ResourceLimits,
  usageTable,
} from '../../tools/launcher/resource-limits';

const limits = ResourceLimits.create(
  { ...COMPOSE_LIMITS, app1: { cpus: 0.1, memoryMb: 50 } },
  `rinha-test-${process.pid}`,
);

t.test(
  'a process wrapped for a part is limited to its CPU share, and its use is measured',
  { skip: typeof limits === 'string' ? `cgroups unavailable: ${limits}` : false },
  async (t) => {
    const groups = limits as ResourceLimits;
    t.teardown(() => groups.remove());
    const [command, args] = groups.wrap('app1', process.execPath, [
      '-e',
      'const end = Date.now() + 1500; while (Date.now() < end);',
    ]);
    const started = Date.now();
    const child = spawn(command, args, { stdio: 'ignore' });
    const groupOf = await new Promise<string>((resolve) =>
      setTimeout(() => resolve(readFileSync(`/proc/${child.pid}/cgroup`, 'utf8')), 200),
    );
    await new Promise((r) => child.once('exit', r));
    const seconds = (Date.now() - started) / 1000;
    t.match(groupOf, /cpu[^:]*:.*\/app1$/m, "the process runs in the part's cpu group");
    const app1 = groups.usage().find((u) => u.part === 'app1')!;
    t.ok(app1.cpuSeconds > 0.05, `it used CPU (${app1.cpuSeconds.toFixed(2)} s)`);
    t.ok(
      app1.cpuSeconds <= 0.1 * seconds + 0.1,
      `no more than 0.1 CPU over ${seconds.toFixed(1)} s (${app1.cpuSeconds.toFixed(2)} s)`,
    );
    t.ok(app1.throttledPeriods > 0, 'and was throttled');
    t.ok(app1.peakMemoryBytes > 0, 'its peak memory is read');
    t.match(usageTable(groups.usage(), seconds), /\| app1 \| 0\.1 \|/, 'the table lists each part');
  },
);

t.test('the limits in one line', async (t) => {
  t.equal(
    describeLimits({ ...COMPOSE_LIMITS }),
    'nginx 0.2 CPU / 20 MB, app1 0.45 CPU / 100 MB, app2 0.45 CPU / 100 MB, postgres 0.25 CPU / 100 MB, redis ' +
      '0.15 CPU / 30 MB',
  );
});

t.test("the compose file's parts are named as its services; a third instance is none of them", async (t) => {
  for (const name of ['nginx', 'app1', 'app2', 'postgres', 'redis']) t.ok(isPartName(name), `${name} is a part`);
  for (const name of ['app3', 'toString', '']) t.notOk(isPartName(name), `"${name}" is not`);
});
