// CPU counters of a native stack, by part, read from /proc at two instants (cpu-counters.ts):
// Nginx, each instance's HTTP thread, core thread and other threads, and the machine's Postgres
// and Redis (every process of that name: do not start or stop one during a run). And Redis'
// own count of the commands it processed.
import type Redis from 'ioredis';
import { instanceCpu, servicesCpu } from '../../launcher/cpu-counters';
import type { RunningStack } from '../../launcher/stack';

export const PARTS = ['nginx', 'http thread', 'core thread', 'other threads', 'postgres', 'redis'] as const;
export type Part = (typeof PARTS)[number];
export type Reading = Record<Part, number>;

/** CPU seconds so far of each part of one stack (Postgres and Redis: the machine's). */
export function readStackCpu(stack: RunningStack): Reading {
  const r: Reading = { 'http thread': 0, 'core thread': 0, 'other threads': 0, ...servicesCpu(stack.nginxPid) };
  for (const i of stack.instances) {
    if (!i.pid) continue;
    const t = instanceCpu(i.pid);
    r['http thread'] += t.http;
    r['core thread'] += t.core;
    r['other threads'] += t.other;
  }
  return r;
}

export function minus(a: Reading, b: Reading): Reading {
  return Object.fromEntries(PARTS.map((p) => [p, a[p] - b[p]])) as Reading;
}

export const wholeStack = (r: Reading) => PARTS.reduce((s, p) => s + r[p], 0);
export const instances = (r: Reading) => r['http thread'] + r['core thread'] + r['other threads'];

/** Commands a Redis has processed since it started (every client's). */
export async function redisCommands(redis: Redis): Promise<number> {
  const stats = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(stats)?.[1] ?? NaN);
}
