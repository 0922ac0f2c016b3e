// Polling until something holds: the one helper the tools (and the tests' fixtures) wait with. A check that
// throws counts as not holding yet (a server still starting refuses connections).
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` every `everyMs` until it holds: true, or false once `ms` have passed. */
export async function holdsWithin(check: () => boolean | Promise<boolean>, ms: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await (async () => check())().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/** Polls `check` until it holds; throws, naming `what`, once `ms` have passed. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
  everyMs = 50,
): Promise<void> {
  if (!(await holdsWithin(check, ms, everyMs))) throw new Error(`timed out waiting for ${what}`);
}
