// A benchmark's command line: the tools' options (tools/kit/options.ts), and `--json FILE` for every benchmark,
// which writes the figures as JSON beside the table. Positional arguments, where a benchmark took them before,
// map onto named options, so the commands recorded in docs/performance.md still run as written.
import { readOptions as readToolOptions, type OptionSpec, type Options } from '../../kit/options';

/** The official test's peak arrival rate (payments per second), which capacity is a multiple of. */
export const OFFICIAL_PEAK_PER_S = 600;

export type BenchOptions<O extends Record<string, OptionSpec>> = Options<O> & { json: string };

export function readOptions<O extends Record<string, OptionSpec>>(
  about: string,
  spec: O,
  positional: readonly (keyof O & string)[] = [],
  argv = process.argv.slice(2),
): BenchOptions<O> {
  const json = { kind: 'string', default: '', help: 'also write the figures as JSON to this file' } as const;
  return readToolOptions(about, { ...spec, json }, positional, argv);
}

/** KEY=VALUE pairs (app settings given with --env), comma-separated or repeated, as an environment. */
export function envPairs(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs.flatMap((p) => p.split(',')).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`expected KEY=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}
