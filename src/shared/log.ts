// Structured logs: one JSON line per event on stdout, with level, time and instance.
// Quiet by default on the hot path: per-payment events are `debug`.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  instance: string,
  level: string,
  write: (line: string) => void = (l) => process.stdout.write(l),
): Logger {
  const min = RANK[level as LogLevel] ?? RANK.info;
  const emit = (lvl: LogLevel) => (event: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    const line: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, instance, event, ...fields };
    if (fields?.err instanceof Error) line.err = errorFields(fields.err);
    write(JSON.stringify(line) + '\n');
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** Most nested causes and grouped errors followed: a bound on one log line. */
const MAX_ERROR_DEPTH = 3;

/**
 * An error as a log shipper can read it: its message and name, the system's `code` (ECONNREFUSED, ETIMEDOUT,
 * ...) and what it was doing (`syscall`, `address`, `port`), its stack, and what caused it: the errors grouped
 * in an AggregateError (a connect tried on several addresses) and its `cause`.
 */
export function errorFields(err: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { message: err.message, name: err.name };
  const extra = err as Error & { code?: unknown; syscall?: unknown; address?: unknown; port?: unknown };
  for (const key of ['code', 'syscall', 'address', 'port'] as const)
    if (extra[key] !== undefined) out[key] = extra[key];
  if (err.stack) out.stack = err.stack;
  if (depth >= MAX_ERROR_DEPTH) return out;
  if (err instanceof AggregateError)
    out.errors = (err.errors as unknown[]).slice(0, 5).map((e) => (e instanceof Error ? errorFields(e, depth + 1) : e));
  if (err.cause instanceof Error) out.cause = errorFields(err.cause, depth + 1);
  return out;
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = createLogger('-', 'silent');
