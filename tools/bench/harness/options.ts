// One command line for every benchmark: options declared with their kind, default and a line of
// help; `--help` prints them; `--json FILE` (every benchmark) writes the figures as JSON beside the
// table. Positional arguments, where a benchmark took them before, map onto named options, so the
// commands recorded in docs/performance.md still run as written.
import { parseArgs } from 'node:util';

/** The official test's peak arrival rate (payments per second), which capacity is a multiple of. */
export const OFFICIAL_PEAK_PER_S = 600;

type Spec =
  | { kind: 'number'; default: number; help: string }
  | { kind: 'string'; default: string; help: string }
  | { kind: 'list'; help: string }
  | { kind: 'flag'; help: string };

type Value<S extends Spec> = S extends { kind: 'number' }
  ? number
  : S extends { kind: 'string' }
    ? string
    : S extends { kind: 'list' }
      ? string[]
      : boolean;

export type BenchOptions<O extends Record<string, Spec>> = { [K in keyof O]: Value<O[K]> } & { json: string };

function usage(about: string, spec: Record<string, Spec>, positional: readonly string[]): string {
  const lines = Object.entries(spec).map(([name, s]) => {
    const dflt = 'default' in s ? ` (default ${s.default})` : s.kind === 'list' ? ' (repeatable)' : '';
    return `  --${name}${s.kind === 'flag' ? '' : ' V'}  ${s.help}${dflt}`;
  });
  const pos = positional.length > 0 ? ` [${positional.join('] [')}]` : '';
  return `${about}\nOptions${pos}:\n${lines.join('\n')}\n  --json FILE  also write the figures as JSON`;
}

export function readOptions<O extends Record<string, Spec>>(
  about: string,
  spec: O,
  positional: readonly (keyof O & string)[] = [],
  argv = process.argv.slice(2),
): BenchOptions<O> {
  const options = Object.fromEntries(
    Object.entries(spec).map(([name, s]) => [
      name,
      s.kind === 'flag' ? { type: 'boolean' as const } : { type: 'string' as const, multiple: s.kind === 'list' },
    ]),
  );
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...options, json: { type: 'string' }, help: { type: 'boolean' } },
    allowPositionals: positional.length > 0,
  });
  if (values.help) {
    console.log(usage(about, spec, positional));
    process.exit(0);
  }
  const raw = values as Record<string, string | string[] | boolean | undefined>;
  positional.forEach((name, i) => (raw[name] ??= positionals[i]));
  const out: Record<string, unknown> = { json: raw.json ?? '' };
  for (const [name, s] of Object.entries(spec)) {
    const v = raw[name];
    if (s.kind === 'number') out[name] = v === undefined ? s.default : numberOf(name, v as string);
    else if (s.kind === 'string') out[name] = v ?? s.default;
    else if (s.kind === 'list') out[name] = v ?? [];
    else out[name] = v === true;
  }
  return out as BenchOptions<O>;
}

function numberOf(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`--${name} takes a number, got "${text}"`);
  return n;
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
