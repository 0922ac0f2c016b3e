// At boot an orchestrator may start the instance before Postgres and Redis answer (Docker Compose starts
// them together unless told to wait on healthchecks, which cost CPU inside each store's quota). Waiting here,
// up to STORE_WAIT_MS, beats exiting and being restarted in a loop.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../shared/log';

/** Runs `attempt` until it succeeds, every `everyMs`, for up to `waitMs`; then rethrows its last error. */
export async function untilReachable<T>(
  store: string,
  attempt: () => Promise<T>,
  waitMs: number,
  log: Logger,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let tries = 1; ; tries++) {
    try {
      const value = await attempt();
      if (tries > 1) log.warn('store-reachable', { store, tries });
      return value;
    } catch (err) {
      if (Date.now() + everyMs > deadline) throw err;
      if (tries === 1) log.warn('waiting-for-store', { store, err, upToMs: waitMs });
      await sleep(everyMs);
    }
  }
}
