// Structured logs: one JSON line per event on stdout, with level, time and instance.
// Quiet by default on the hot path: per-payment events are `debug`.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
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
    if (fields?.err instanceof Error) line.err = { message: fields.err.message, name: fields.err.name };
    write(JSON.stringify(line) + '\n');
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = createLogger('-', 'silent');
