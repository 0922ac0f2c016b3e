// CPU time from the processes' own counters in /proc (not wall time), split by thread where
// it matters: an app instance's HTTP thread (the process's first thread), its core thread and
// everything else (V8's garbage-collection helpers, libuv's pool). Read at two instants; the
// difference is what ran in between, whatever else the machine was doing.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux x86_64). */
const TICKS_PER_SECOND = 100;

interface StatFields {
  ppid: number;
  /** utime + stime, in seconds. */
  cpuSeconds: number;
  /** cutime + cstime: children it has reaped (Postgres' backends that exited), in seconds. */
  reapedSeconds: number;
  nice: number;
}

/** Fields of a /proc/.../stat line; the command name may hold spaces, so fields count from its ')'. */
function readStat(path: string): StatFields | null {
  let line: string;
  try {
    line = readFileSync(path, 'utf8');
  } catch {
    return null; // gone meanwhile
  }
  const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17, nice 19.
  return {
    ppid: Number(f[1]),
    cpuSeconds: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND,
    reapedSeconds: (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND,
    nice: Number(f[16]),
  };
}

/** A process's CPU seconds so far, its exited threads included. */
export function processCpu(pid: number): number {
  return readStat(`/proc/${pid}/stat`)?.cpuSeconds ?? 0;
}

function numericEntries(dir: string): number[] {
  try {
    return readdirSync(dir)
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

export interface InstanceCpu {
  http: number;
  core: number;
  /** The process's other threads (and its threads that exited). */
  other: number;
}

/**
 * An app instance's CPU by thread. The HTTP thread is the process's first; the core thread is the
 * first that lowered its nice value (CORE_NICE): threads it starts later inherit that value, so they
 * come after it. With CORE_THREAD=false, or CORE_NICE=0, core is 0 and its work is in http.
 */
export function instanceCpu(pid: number): InstanceCpu {
  const total = processCpu(pid);
  let http = 0;
  let core = 0;
  for (const tid of numericEntries(`/proc/${pid}/task`)) {
    const s = readStat(`/proc/${pid}/task/${tid}/stat`);
    if (!s) continue;
    if (tid === pid) http = s.cpuSeconds;
    else if (core === 0 && s.nice > 0) core = s.cpuSeconds;
  }
  return { http, core, other: Math.max(0, total - http - core) };
}

/** The processes whose parent is `pid` (Nginx's workers under its master). */
export function childrenOf(pid: number): number[] {
  return numericEntries('/proc').filter((p) => readStat(`/proc/${p}/stat`)?.ppid === pid);
}

/** Processes of the machine by command name (the services' own processes). */
export function pidsNamed(name: string): number[] {
  return numericEntries('/proc').filter((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === name;
    } catch {
      return false;
    }
  });
}

/** CPU seconds so far of a stack's Nginx (master and workers) and of the machine's Postgres and Redis. */
export function servicesCpu(nginxPid: number | undefined): { nginx: number; postgres: number; redis: number } {
  return {
    nginx: nginxPid ? groupCpu([nginxPid, ...childrenOf(nginxPid)]) : 0,
    postgres: groupCpu(pidsNamed('postgres')),
    redis: groupCpu(pidsNamed('redis-server')),
  };
}

/**
 * The CPU seconds of a set of processes (Postgres' backends, Nginx's master and workers), with
 * what their children used before they exited and were reaped (a pool's closed connection).
 */
export function groupCpu(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) {
    const s = readStat(`/proc/${pid}/stat`);
    if (s) sum += s.cpuSeconds + s.reapedSeconds;
  }
  return sum;
}
