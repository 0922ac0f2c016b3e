// Figures over rounds: the median, and the spread a reader needs to judge it.

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

/** Each side's figures, in the order the sides were named. */
export function bySide<T>(names: readonly string[]): Record<string, T[]> {
  return Object.fromEntries(names.map((n) => [n, [] as T[]]));
}

/**
 * The sides in turn, round after round, each round starting one side later, so that no side always
 * follows the same one on a machine whose noise drifts (two builds: old, new, new, old, ...).
 */
export function* alternating<T>(sides: readonly T[], rounds: number): Generator<{ round: number; side: T }> {
  for (let round = 1; round <= rounds; round++)
    for (let k = 0; k < sides.length; k++) yield { round, side: sides[(k + round - 1) % sides.length] };
}
