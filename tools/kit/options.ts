// One command line for every entry point of the tools: options declared with their kind, default, environment
// variable and a line of help; a value comes from the flag, else the environment, else the default; `--help`
// prints them all and exits; an unknown option or a malformed number is a clear error (exit 2).
import { parseArgs } from 'node:util';

export type OptionSpec =
  | { kind: 'number'; default: number; help: string; env?: string }
  | { kind: 'string'; default: string; help: string; env?: string }
  /** A string with no default: undefined when neither the flag nor the environment gives it. */
  | { kind: 'optional'; help: string; env?: string }
  | { kind: 'list'; help: string; env?: string }
  | { kind: 'flag'; help: string; env?: string };

type Value<S extends OptionSpec> = S extends { kind: 'number' }
  ? number
  : S extends { kind: 'string' }
    ? string
    : S extends { kind: 'optional' }
      ? string | undefined
      : S extends { kind: 'list' }
        ? string[]
        : boolean;

export type Options<O extends Record<string, OptionSpec>> = { [K in keyof O]: Value<O[K]> };

export function usage(about: string, spec: Record<string, OptionSpec>, positional: readonly string[] = []): string {
  const lines = Object.entries(spec).map(([name, s]) => {
    const from = [s.env, 'default' in s ? String(s.default) : s.kind === 'list' ? 'repeatable' : '']
      .filter(Boolean)
      .join(', ');
    return `  --${name}${s.kind === 'flag' ? '' : ' V'}  ${s.help}${from ? ` (${from})` : ''}`;
  });
  const pos = positional.length > 0 ? ` [${positional.join('] [')}]` : '';
  return `${about}\nOptions${pos}:\n${lines.join('\n')}\n  --help  this list`;
}

/** Fails as a command line does: the message on stderr, exit 2. */
function refuse(message: string): never {
  console.error(message);
  process.exit(2);
}

function valueOf(name: string, s: OptionSpec, given: string | string[] | boolean | undefined, env: NodeJS.ProcessEnv) {
  const fromEnv = s.env !== undefined && env[s.env] !== '' ? env[s.env] : undefined;
  switch (s.kind) {
    case 'flag':
      return given === true || /^(1|true|yes)$/i.test(fromEnv ?? '');
    case 'list':
      return (given as string[] | undefined) ?? fromEnv?.split(',').filter(Boolean) ?? [];
    case 'optional':
      return (given as string | undefined) ?? fromEnv;
    case 'string':
      return (given as string | undefined) ?? fromEnv ?? s.default;
    case 'number': {
      const text = (given as string | undefined) ?? fromEnv;
      if (text === undefined) return s.default;
      const n = Number(text);
      return Number.isFinite(n) ? n : refuse(`--${name} takes a number, got "${text}"`);
    }
  }
}

/**
 * Reads `argv` against `spec`. Positional arguments, where an entry point takes them, fill the named options
 * listed in `positional`, in order.
 */
export function readOptions<O extends Record<string, OptionSpec>>(
  about: string,
  spec: O,
  positional: readonly (keyof O & string)[] = [],
  argv = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Options<O> {
  const declared = Object.fromEntries(
    Object.entries(spec).map(([name, s]) => [
      name,
      s.kind === 'flag' ? { type: 'boolean' as const } : { type: 'string' as const, multiple: s.kind === 'list' },
    ]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...declared, help: { type: 'boolean', short: 'h' } },
      allowPositionals: positional.length > 0,
    });
  } catch (err) {
    refuse(`${(err as Error).message}\n\n${usage(about, spec, positional)}`);
  }
  if (parsed.values.help) {
    console.log(usage(about, spec, positional));
    process.exit(0);
  }
  const raw = parsed.values as Record<string, string | string[] | boolean | undefined>;
  // A list takes every positional argument from its place on.
  positional.forEach((name, i) => {
    const rest = parsed.positionals.slice(i);
    if (rest.length > 0) raw[name] ??= spec[name].kind === 'list' ? rest : rest[0];
  });
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(spec)) out[name] = valueOf(name, s, raw[name], env);
  return out as Options<O>;
}
