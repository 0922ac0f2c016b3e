// Peaks of each container's memory over a run, sampled every second: a restarted container gets a new
// cgroup (its own peak counter starts again), so the peaks are kept here.
import type { ComposeProject } from './compose-project';

export interface MemoryPeak {
  /** Charged to the container's cgroup: its processes and the page cache they caused (cgroup v1). */
  chargedBytes: number;
  /** Its processes' own memory (rss). */
  rssBytes: number;
}

export class CgroupSampler {
  readonly peaks = new Map<string, MemoryPeak>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly project: ComposeProject,
    private readonly services: string[],
  ) {}

  /** Samples every `everyMs`, one sampling at a time. */
  start(everyMs = 1000): void {
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void this.sample().finally(() => (busy = false));
    }, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async sample(): Promise<void> {
    for (const service of this.services) {
      const id = await this.project.containerId(service).catch(() => null);
      if (!id) continue;
      try {
        const c = this.project.counters(id);
        const was = this.peaks.get(service) ?? { chargedBytes: 0, rssBytes: 0 };
        this.peaks.set(service, {
          chargedBytes: Math.max(was.chargedBytes, c.peakBytes),
          rssBytes: Math.max(was.rssBytes, c.rssBytes),
        });
      } catch {
        // The container is between a crash and its restart: no cgroup to read this second.
      }
    }
  }
}
