// One Docker Compose project under test: its files, its containers, and what `docker inspect` and the
// containers' cgroups (v1 here) say about them.
import { readFileSync } from 'node:fs';
import { must, run } from './shell';

export interface ContainerState {
  id: string;
  pid: number;
  status: string;
  /** When its process last started: changes at every restart. */
  startedAt: string;
  health: string | null;
  restartCount: number;
  oomKilled: boolean;
  nanoCpus: number;
  cpuQuota: number;
  cpuPeriod: number;
  memory: number;
}

export interface CgroupCounters {
  /** CPU time used, in seconds. */
  cpuSeconds: number;
  /** Periods in which the quota ran out. */
  throttled: number;
  /** Memory charged to the container at its peak, page cache included (cgroup v1). */
  peakBytes: number;
  /** The container's own memory (rss), without the page cache. */
  rssBytes: number;
}

function readNumber(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}

function statField(text: string, key: string): number {
  return Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

export class ComposeProject {
  constructor(
    readonly root: string,
    readonly name: string,
    readonly files: string[],
    /** Set in Compose's environment on top of this process's (what the files interpolate, e.g. ADMIN_TOKEN). */
    readonly env: Record<string, string> = {},
  ) {}

  private args(rest: string[]): string[] {
    const files = this.files.flatMap((f) => ['-f', f]);
    // The project directory is the repository's, whatever folder the files are in (an older file to compare).
    return ['--compatibility', '-p', this.name, '--project-directory', this.root, ...files, ...rest];
  }

  compose(rest: string[]): Promise<string> {
    return must('docker-compose', this.args(rest), { ...process.env, ...this.env, COMPOSE_INTERACTIVE_NO_CLI: '1' });
  }

  private serviceNames: string[] | undefined;
  private readonly ids = new Map<string, string>();

  async services(): Promise<string[]> {
    this.serviceNames ??= (await this.compose(['config', '--services'])).trim().split('\n').filter(Boolean);
    return this.serviceNames;
  }

  /** The service's container (asked of docker, not docker-compose: a Python start costs about 0.5 s of CPU). */
  async containerId(service: string): Promise<string> {
    const known = this.ids.get(service);
    if (known) return known;
    const out = await must('docker', [
      'ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${this.name}`,
      '--filter', `label=com.docker.compose.service=${service}`,
    ]); // prettier-ignore
    const id = out.trim().split('\n')[0];
    if (!id) throw new Error(`no container for ${service}`);
    // A container keeps its id when it restarts; `down` forgets them all.
    this.ids.set(service, id);
    return id;
  }

  async state(service: string): Promise<ContainerState> {
    const id = await this.containerId(service);
    const [raw] = JSON.parse(await must('docker', ['inspect', id])) as [
      {
        State: { Pid: number; Status: string; StartedAt: string; OOMKilled: boolean; Health?: { Status: string } };
        RestartCount: number;
        HostConfig: { NanoCpus: number; CpuQuota: number; CpuPeriod: number; Memory: number };
      },
    ];
    return {
      id,
      pid: raw.State.Pid,
      status: raw.State.Status,
      startedAt: raw.State.StartedAt,
      health: raw.State.Health?.Status ?? null,
      restartCount: raw.RestartCount,
      oomKilled: raw.State.OOMKilled,
      nanoCpus: raw.HostConfig.NanoCpus,
      cpuQuota: raw.HostConfig.CpuQuota,
      cpuPeriod: raw.HostConfig.CpuPeriod,
      memory: raw.HostConfig.Memory,
    };
  }

  /** The container's cgroup v1 counters (dockerd's cgroupfs driver: /sys/fs/cgroup/<controller>/docker/<id>). */
  counters(id: string): CgroupCounters {
    const at = (controller: string, file: string) => `/sys/fs/cgroup/${controller}/docker/${id}/${file}`;
    const memoryStat = readFileSync(at('memory', 'memory.stat'), 'utf8');
    return {
      cpuSeconds: readNumber(at('cpuacct', 'cpuacct.usage')) / 1e9,
      throttled: statField(readFileSync(at('cpu', 'cpu.stat'), 'utf8'), 'nr_throttled'),
      peakBytes: readNumber(at('memory', 'memory.max_usage_in_bytes')),
      rssBytes: statField(memoryStat, 'total_rss'),
    };
  }

  async logs(service: string, lines = 40): Promise<string> {
    const r = await run('docker-compose', this.args(['logs', '--no-color', '--tail', String(lines), service]));
    return `${r.stdout}${r.stderr}`.trim();
  }

  /** Everything the project made, volumes included; nothing of it left running. */
  async down(): Promise<void> {
    this.ids.clear();
    await this.compose(['down', '-v', '--remove-orphans', '--timeout', '10']);
  }

  async running(): Promise<string[]> {
    const out = await must('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${this.name}`]);
    return out.trim().split('\n').filter(Boolean);
  }
}
