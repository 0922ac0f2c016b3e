// What the benchmarks share on their command lines, in their print-outs and in what they read.
import type Redis from 'ioredis';

/** The official test's peak arrival rate (payments per second), which capacity is a multiple of. */
export const OFFICIAL_PEAK_PER_S = 600;

/** Commands a Redis has processed since it started (every client's). */
export async function redisCommands(redis: Redis): Promise<number> {
  const stats = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(stats)?.[1] ?? NaN);
}

/** KEY=VALUE pairs (app settings given with --env) as an environment. */
export function envPairs(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`expected KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** The middle of the rounds' figures (the upper middle of an even count). */
export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/** "median (lowest-highest)", or the one value. */
export function spread(xs: number[], digits = 3): string {
  const sorted = [...xs].sort((a, b) => a - b);
  if (sorted.length === 1) return sorted[0].toFixed(digits);
  return `${median(xs).toFixed(digits)} (${sorted[0].toFixed(digits)}-${sorted[sorted.length - 1].toFixed(digits)})`;
}
