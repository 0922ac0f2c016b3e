// The compose file's CPU and memory limits, applied natively with Linux control groups
// (v1: the cpu, cpuacct and memory hierarchies), so the stack can be measured under the
// same limits as in Docker: a CFS quota per part (0.45 CPU = 45 ms per 100 ms period)
// and a memory limit, plus what each part used (CPU seconds, throttled periods, peak memory).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type PartName = 'nginx' | 'app1' | 'app2' | 'postgres' | 'redis';

export interface PartLimit {
  cpus: number;
  memoryMb: number;
}

/** docker-compose.yml's deploy.resources.limits (test/deploy/compose.ts keeps them equal). */
export const COMPOSE_LIMITS: Record<PartName, PartLimit> = {
  nginx: { cpus: 0.2, memoryMb: 20 },
  app1: { cpus: 0.45, memoryMb: 100 },
  app2: { cpus: 0.45, memoryMb: 100 },
  postgres: { cpus: 0.25, memoryMb: 100 },
  redis: { cpus: 0.15, memoryMb: 30 },
};

/** Whether a process of the stack (an instance is named app1, app2, ...) is one of the compose file's parts. */
export function isPartName(name: string): name is PartName {
  return Object.hasOwn(COMPOSE_LIMITS, name);
}

/**
 * The settings docker-compose.yml gives both instances for the contest (test/deploy/compose.ts keeps
 * them equal). A native run under the compose limits applies them too, so that it runs what Docker would.
 */
export const COMPOSE_APP_SETTINGS: Record<string, string> = {
  DATABASE_POOL_SIZE: '4',
  // Accepted payments go to the core and Redis in batches of up to 10 ms: about 0.7x the CPU per payment
  // (docs/performance.md), for a crash window 10 ms wider. The durable variant sets 0.
  INTAKE_FLUSH_MS: '10',
};

export interface PartUsage {
  part: PartName;
  limit: PartLimit;
  cpuSeconds: number;
  /** CFS periods (100 ms) in which the part used up its quota and was stopped. */
  throttledPeriods: number;
  periods: number;
  peakMemoryBytes: number;
}

const CONTROLLERS = ['cpu', 'cpuacct', 'memory'] as const;
type Controller = (typeof CONTROLLERS)[number];
const PERIOD_US = 100_000;
const ROOT = '/sys/fs/cgroup';

/** Where this process sits in each v1 hierarchy, or why limits cannot be applied here. */
function ownGroups(): Record<Controller, string> | string {
  if (existsSync(join(ROOT, 'cgroup.controllers')))
    return 'this machine has cgroup v2 only (not supported yet: run the stack in Docker for limits)';
  let lines: string[];
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  } catch {
    return 'no /proc/self/cgroup (not Linux?)';
  }
  const out: Partial<Record<Controller, string>> = {};
  for (const line of lines) {
    const [, names, path] = line.split(':');
    for (const c of CONTROLLERS) {
      if (!names.split(',').includes(c)) continue;
      const mount = [join(ROOT, c), join(ROOT, names)].find((m) => existsSync(join(m, 'cgroup.procs')));
      if (mount) out[c] = join(mount, path);
    }
  }
  const missing = CONTROLLERS.filter((c) => !out[c]);
  return missing.length > 0 ? `no cgroup v1 hierarchy for ${missing.join(', ')}` : (out as Record<Controller, string>);
}

function readNumber(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').trim());
  } catch {
    return NaN;
  }
}

export class ResourceLimits {
  private constructor(
    private readonly base: Record<Controller, string>,
    private readonly parents: Record<Controller, string>,
    private readonly parts: Map<PartName, PartLimit>,
  ) {}

  /**
   * Creates one group per part under this process's own groups. Returns the reason
   * instead when the machine does not allow it (no cgroup v1, not writable).
   */
  static create(
    limits: Record<PartName, PartLimit> = COMPOSE_LIMITS,
    name = `rinha-${process.pid}`,
  ): ResourceLimits | string {
    const own = ownGroups();
    if (typeof own === 'string') return own;
    const base = Object.fromEntries(CONTROLLERS.map((c) => [c, join(own[c], name)])) as Record<Controller, string>;
    try {
      for (const [part, limit] of Object.entries(limits) as [PartName, PartLimit][]) {
        for (const c of CONTROLLERS) mkdirSync(join(base[c], part), { recursive: true });
        writeFileSync(join(base.cpu, part, 'cpu.cfs_period_us'), String(PERIOD_US));
        writeFileSync(join(base.cpu, part, 'cpu.cfs_quota_us'), String(Math.round(limit.cpus * PERIOD_US)));
        writeFileSync(join(base.memory, part, 'memory.limit_in_bytes'), String(limit.memoryMb * 1024 * 1024));
      }
    } catch (err) {
      return `cannot write control groups: ${(err as Error).message}`;
    }
    return new ResourceLimits(base, own, new Map(Object.entries(limits) as [PartName, PartLimit][]));
  }

  /**
   * A command that joins the part's groups before it becomes `command`, so that every
   * process it forks (Nginx's workers) is limited from its first instruction.
   */
  wrap(part: PartName, command: string, args: string[]): [string, string[]] {
    const joins = CONTROLLERS.map((c) => `echo $$ > '${join(this.base[c], part, 'cgroup.procs')}'`).join(' && ');
    return ['/bin/sh', ['-c', `${joins} && exec "$0" "$@"`, command, ...args]];
  }

  /**
   * Moves running processes (a service started before, such as Postgres) into a part's
   * groups. Their CPU is limited; their memory only measured: they were configured for
   * this machine (Postgres' shared buffers), not for the compose file, and an OOM kill
   * would take down the machine's own service.
   */
  adopt(part: PartName, pids: number[]): void {
    writeFileSync(join(this.base.memory, part, 'memory.limit_in_bytes'), '-1');
    for (const pid of pids)
      for (const c of CONTROLLERS) writeFileSync(join(this.base[c], part, 'cgroup.procs'), String(pid));
  }

  usage(): PartUsage[] {
    return [...this.parts].map(([part, limit]) => {
      const stat = Object.fromEntries(
        (existsSync(join(this.base.cpu, part, 'cpu.stat'))
          ? readFileSync(join(this.base.cpu, part, 'cpu.stat'), 'utf8')
          : ''
        )
          .trim()
          .split('\n')
          .map((l) => l.split(' ') as [string, string]),
      );
      return {
        part,
        limit,
        cpuSeconds: readNumber(join(this.base.cpuacct, part, 'cpuacct.usage')) / 1e9,
        throttledPeriods: Number(stat.nr_throttled ?? 0),
        periods: Number(stat.nr_periods ?? 0),
        peakMemoryBytes: readNumber(join(this.base.memory, part, 'memory.max_usage_in_bytes')),
      };
    });
  }

  /** Moves whatever still runs in the groups back to this process's own groups, and removes them. */
  remove(): void {
    for (const c of CONTROLLERS) {
      for (const part of this.parts.keys()) {
        const dir = join(this.base[c], part);
        if (!existsSync(dir)) continue;
        const pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
        for (const pid of pids) {
          try {
            writeFileSync(join(this.parents[c], 'cgroup.procs'), pid);
          } catch {
            // The process ended meanwhile.
          }
        }
        try {
          rmdirSync(dir);
        } catch {
          // Still busy (a process that could not be moved): left for the kernel to report.
        }
      }
      try {
        rmdirSync(this.base[c]);
      } catch {
        // As above.
      }
    }
  }
}

/** The limits in one line, for logs. */
export function describeLimits(limits: Record<PartName, PartLimit> = COMPOSE_LIMITS): string {
  return Object.entries(limits)
    .map(([part, l]) => `${part} ${l.cpus} CPU / ${l.memoryMb} MB`)
    .join(', ');
}

/** The usage as a table: CPU seconds and share of the run, throttling, peak memory against the limit. */
export function usageTable(usage: PartUsage[], seconds: number): string {
  const rows = usage.map((u) => {
    const share = seconds > 0 ? u.cpuSeconds / seconds : 0;
    const peakMb = u.peakMemoryBytes / 1024 / 1024;
    return (
      `| ${u.part} | ${u.limit.cpus} | ${u.cpuSeconds.toFixed(1)} s | ${share.toFixed(3)} | ` +
      `${u.throttledPeriods} / ${u.periods} | ${peakMb.toFixed(1)} MB | ${u.limit.memoryMb} MB | ` +
      `${peakMb <= u.limit.memoryMb ? 'yes' : 'NO'} |`
    );
  });
  return [
    '| part | CPU limit | CPU used | mean CPUs | throttled periods | peak memory | memory limit | within |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
