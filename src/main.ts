// Entry point of one instance: reads the configuration, starts the app, and
// shuts it down gracefully on SIGTERM or SIGINT.
import { loadConfig } from './shared/config';
import { startApp } from './app';
import { createLogger } from './shared/log';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.instanceId, config.logLevel);
  const app = await startApp(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting-down', { signal });
    app.close().then(
      () => process.exit(0),
      (err) => {
        log.error('shutdown-failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: Error) => {
  const line = {
    time: new Date().toISOString(),
    level: 'error',
    event: 'start-failed',
    message: String(err?.message ?? err),
  };
  process.stderr.write(`${JSON.stringify(line)}\n`);
  process.exit(1);
});
