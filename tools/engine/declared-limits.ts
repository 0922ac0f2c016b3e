// The limits the compose file declares (deploy.resources.limits), read as Docker reads them, so that
// what `docker inspect` reports of each container can be compared with the file.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface DeclaredLimit {
  cpus: number;
  memoryBytes: number;
}

/**
 * Docker's memory units (go-units RAMInBytes): k, m, g with or without a trailing b, case-insensitive,
 * all binary: `100MB` is 100 MiB, 104,857,600 bytes.
 */
export function dockerMemoryBytes(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$/i.exec(value.trim());
  if (!m) throw new Error(`memory "${value}" is not in Docker's units`);
  const power = ['', 'k', 'm', 'g', 't'].indexOf(m[2].toLowerCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}

/** Each service's limits, the later files overriding the earlier ones as Compose merges them. */
export function declaredLimits(files: string[]): Record<string, DeclaredLimit> {
  const limits: Record<string, DeclaredLimit> = {};
  for (const file of files) {
    const doc = parse(readFileSync(file, 'utf8'), { merge: true }) as {
      services?: Record<string, { deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } } }>;
    };
    for (const [name, service] of Object.entries(doc.services ?? {})) {
      const l = service.deploy?.resources?.limits;
      if (!l?.cpus || !l.memory) continue;
      limits[name] = { cpus: Number(l.cpus), memoryBytes: dockerMemoryBytes(String(l.memory)) };
    }
  }
  return limits;
}

/** The CPUs a container may use, from either way Docker stores it. */
export function appliedCpus(state: { nanoCpus: number; cpuQuota: number; cpuPeriod: number }): number {
  if (state.nanoCpus > 0) return state.nanoCpus / 1e9;
  return state.cpuQuota > 0 ? state.cpuQuota / (state.cpuPeriod || 100_000) : 0;
}
