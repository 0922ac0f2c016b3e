// Percentiles as k6 computes them for a Trend: linear interpolation between the two
// nearest ranks of the sorted samples.

export function k6Percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  if (sorted.length === 1) return sorted[0];
  const i = (p / 100) * (sorted.length - 1);
  const lower = Math.floor(i);
  const upper = Math.min(sorted.length - 1, lower + 1);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (i - lower);
}

/** Samples sorted ascending, without changing the input. */
export function sortedCopy(samples: number[]): number[] {
  return Float64Array.from(samples).sort() as unknown as number[];
}
