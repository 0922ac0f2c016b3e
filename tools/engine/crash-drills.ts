// Killing parts of a running deployment under load, and counting what the deployment promised and lost.
// `docker kill` is an operator's stop (Docker leaves the container stopped); a SIGKILL sent from the host
// to the container's main process is a crash (the restart policy brings it back).
import { holdsWithin } from '../kit/until';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkExactlyOnce, startLoad, untilSettled, type ExactlyOnce, type LoadOutcome } from './acknowledged-load';
import type { ComposeProject, ContainerState } from './compose-project';

export interface Drill {
  load: LoadOutcome;
  check: ExactlyOnce;
  /** For each lost payment: when it was acknowledged, in ms from the nearest kill (negative: before it). */
  lostAroundKill: number[];
  /** Seconds from each kill until the killed part answered again (its container running and healthy). */
  backAfter: number[];
}

export interface DrillOptions {
  url: string;
  processors: Record<string, string>;
  processorTotals: () => Promise<number>;
  perSecond: number;
}

/**
 * Waits until the service's container started again after `since` (its StartedAt changed) and, for a
 * service others wait on (`healthy`), until its healthcheck says so; returns when. A store's healthcheck
 * runs only every 30 s: its running is what counts.
 */
export async function untilBack(
  project: ComposeProject,
  service: string,
  since: ContainerState,
  healthy: boolean,
  timeoutMs = 60_000,
): Promise<number> {
  const back = async () => {
    const s = await project.state(service);
    const restarted = s.startedAt !== since.startedAt && s.status === 'running';
    return restarted && (!healthy || s.health === 'healthy');
  };
  if (!(await holdsWithin(back, timeoutMs, 100)))
    throw new Error(`${service} did not come back within ${timeoutMs / 1000} s:\n${await project.logs(service, 20)}`);
  return Date.now();
}

/** SIGKILL to the container's main process, from the host: a crash, as Docker sees it. */
export async function crash(project: ComposeProject, service: string): Promise<{ at: number; was: ContainerState }> {
  const was = await project.state(service);
  const at = Date.now();
  process.kill(was.pid, 'SIGKILL');
  return { at, was };
}

/**
 * Runs `perSecond` payments a second while `act` kills what it kills (it returns the kill times and
 * the times each part answered again), then waits for the processors to settle and checks every payment.
 */
export async function drill(o: DrillOptions, act: () => Promise<{ kills: number[]; back: number[] }>): Promise<Drill> {
  const running = startLoad(o.url, o.perSecond);
  let acted: { kills: number[]; back: number[] };
  try {
    await sleep(2000);
    acted = await act();
    await sleep(2000);
  } catch (err) {
    await running.stop();
    throw err;
  }
  const load = await running.stop();
  await untilSettled(o.processorTotals);
  const check = await checkExactlyOnce(load, o.processors);
  // Signed: -9 is 9 ms before the kill (as its command started), +3 an answer read 3 ms after it.
  const lostAroundKill = check.lost.map((id) => {
    const at = load.acknowledged.get(id) ?? 0;
    const nearest = acted.kills.reduce((best, k) => (Math.abs(k - at) < Math.abs(best - at) ? k : best));
    return at - nearest;
  });
  return { load, check, lostAroundKill, backAfter: acted.kills.map((k, i) => (acted.back[i] - k) / 1000) };
}

export function describeDrill(d: Drill): string {
  const total = d.load.acknowledged.size + d.load.unacknowledged.size;
  const statuses = Object.entries(d.load.statuses)
    .map(([s, n]) => `${s === '0' ? 'no answer' : s}: ${n}`)
    .join(', ');
  const lost = d.check.lost.length;
  const offsets = d.lostAroundKill.map((ms) => `${ms > 0 ? '+' : ''}${ms}`).join(', ');
  const when = lost ? ` (acknowledged at ${offsets} ms from a kill)` : '';
  return [
    `sent ${total} (${statuses}); acknowledged ${d.load.acknowledged.size}, recorded once ${d.check.recordedOnce}`,
    `lost ${lost}${when}` +
      `, doubled ${d.check.doubled.length}, not acknowledged but recorded ${d.check.unacknowledgedRecorded}`,
    `back after ${d.backAfter.map((s) => `${s.toFixed(1)} s`).join(', ')}`,
  ].join('\n');
}
