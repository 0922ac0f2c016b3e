// The proofs of the multi-host layout, each on a fresh layout under steady load through Nginx, with
// ACK_WHEN_DURABLE (a 202 means the claim is in Redis and on a replica). After each fault, every payment
// answered 202 is checked against the processors' records (checks.ts).
import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { acknowledgedExactlyOnce, summariesEqual } from './checks';
import { MASTER_NAME, startLayout, type Layout } from './layout';
import { setCutOff } from './network';
import { startLoad, type LoadOutcome } from '../engine/acknowledged-load';
import type { StepOutcome } from '../kit/steps';

/** Settings of every instance here: durable answers, and the heartbeat the cut-offs are measured against. */
export const HA_APP_ENV = { ACK_WHEN_DURABLE: 'true', HEARTBEAT_MS: '1000', LOG_LEVEL: 'warn' };
const TTL_MS = 3 * 1000;

/** Runs `fault` at 3 s into a load of `ms`, then the checks every proof shares, with the fault's own figures. */
async function underLoad(
  ratePerS: number,
  ms: number,
  fault: (layout: Layout, startedAt: number) => Promise<{ figures: string; problems: string[] }>,
  setUp?: (layout: Layout) => Promise<void>,
): Promise<StepOutcome> {
  const layout = await startLayout(HA_APP_ENV);
  try {
    await setUp?.(layout);
    const startedAt = Date.now();
    const load = startLoad(layout.url, ratePerS);
    const ended = sleep(ms).then(() => load.stop());
    await sleep(3000);
    const own = await fault(layout, startedAt);
    const posted = await ended;
    const memory = memoryOf(layout);
    const shared = await sharedChecks(layout, posted, startedAt);
    const problems = [...own.problems, ...shared.problems];
    return {
      ok: problems.length === 0,
      detail: [own.figures, shared.figures, memory, ...problems.slice(0, 10)].join('\n'),
    };
  } finally {
    await layout.stop();
  }
}

/** Each part's resident memory at the end of the load (Postgres: its postmaster only). */
function memoryOf(layout: Layout): string {
  const mb = (pid: number | undefined) => {
    try {
      return (Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024).toFixed(1);
    } catch {
      return '-';
    }
  };
  const parts = Object.entries(layout.parts).map(([name, p]) => `${name} ${mb(p.child.pid)}`);
  return `resident memory at the end of the load, MB: ${parts.join(', ')}`;
}

async function sharedChecks(layout: Layout, posted: LoadOutcome, startedAt: number) {
  const acked = [...posted.acknowledged.keys()];
  const count = (status: number) => posted.statuses[status] ?? 0;
  // Drained: every acknowledged payment recorded (30 s at most), then compared.
  const loadEnded = Date.now();
  let summary = await summariesEqual(layout, new Date(startedAt - 1000));
  for (let i = 0; i < 60 && !summary.equal; i++) {
    await sleep(500);
    summary = await summariesEqual(layout, new Date(startedAt - 1000));
  }
  const drainedMs = Date.now() - loadEnded;
  const problems = await acknowledgedExactlyOnce(layout, acked);
  if (!summary.equal) problems.push(`summaries differ: ${summary.detail}`);
  const figures =
    `posted ${acked.length + posted.unacknowledged.size}: 202 ${acked.length}, 503 ${count(503)}, ` +
    `504 ${count(504)}, no answer ${count(0)}; ` +
    `every 202 recorded exactly once with our requestedAt: ${problems.length === 0 ? 'yes' : 'NO'}; summaries ` +
    `${summary.equal ? 'equal' : 'DIFFER'} ${(drainedMs / 1000).toFixed(1)} s after the load (${summary.detail})`;
  return { figures, problems };
}

async function sentinelsPrimary(layout: Layout): Promise<string> {
  const sentinel = new Redis(26379, layout.hosts.sentinel1.ip, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const [host] = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as string[];
    return host;
  } finally {
    sentinel.disconnect();
  }
}

/** The Redis primary SIGKILLed: Sentinel promotes a replica; the instances follow (202s again). */
export function primaryKilled(): Promise<StepOutcome> {
  return underLoad(100, 14_000, async (layout) => {
    const killedAt = Date.now();
    layout.parts.redis1.signal('SIGKILL');
    let promotedMs = NaN;
    for (let i = 0; i < 200 && Number.isNaN(promotedMs); i++) {
      if ((await sentinelsPrimary(layout).catch(() => layout.hosts.redis1.ip)) !== layout.hosts.redis1.ip)
        promotedMs = Date.now() - killedAt;
      else await sleep(50);
    }
    const followed = await firstDurableAfter(layout, killedAt);
    layout.restart('redis1'); // as a restart policy would: Sentinel makes it a replica of the new primary
    const problems = Number.isNaN(promotedMs) ? ['no replica was promoted within 10 s'] : [];
    if (followed === null || followed > 10_000) problems.push(`the instances did not follow within 10 s (${followed})`);
    return {
      figures: `promoted after ${promotedMs} ms; instances acknowledging again ${followed} ms after the kill`,
      problems,
    };
  });
}

/** Probes with single payments until one is answered 202 (durable): the ms from `since`, or null after 20 s. */
async function firstDurableAfter(layout: Layout, since: number): Promise<number | null> {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(50)) {
    const res = await fetch(`${layout.url}/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ correlationId: crypto.randomUUID(), amount: 0.01 }),
      signal: AbortSignal.timeout(2000),
    }).catch(() => null);
    if (res?.status === 202) return Date.now() - since;
  }
  return null;
}

/**
 * After app1 was away past the heartbeat's TTL: the ids another host took up (sent, or looked up: a host that
 * takes over a payment whose attempt may have been recorded asks the processor first), and those app1 sent
 * again after another host had (the fence failing).
 */
function takeovers(layout: Layout, ids: string[]): { taken: number; unfenced: string[] } {
  const app1 = layout.hosts.app1.ip;
  let taken = 0;
  const unfenced: string[] = [];
  for (const id of ids) {
    const touches = [...layout.processors.default.touchesOf(id), ...layout.processors.fallback.touchesOf(id)];
    const firstOther = touches.findIndex((c) => !c.endsWith(app1));
    if (firstOther < 0) continue;
    taken++;
    if (touches.slice(firstOther).some((c) => c.startsWith('pay ') && c.endsWith(app1))) unfenced.push(id);
  }
  return { taken, unfenced };
}

/** app1 away (cut off, or paused) for twice the TTL while default takes 1 s a payment: its payments are in flight. */
function appAway(how: 'cut' | 'pause'): Promise<StepOutcome> {
  const awayMs = 2 * TTL_MS;
  return underLoad(
    60,
    16_000,
    async (layout) => {
      const held = await inFlightAt(layout, 'app1');
      if (how === 'cut') setCutOff(layout.hosts.app1, true);
      else layout.parts.app1.signal('SIGSTOP');
      await sleep(awayMs);
      if (how === 'cut') setCutOff(layout.hosts.app1, false);
      else layout.parts.app1.signal('SIGCONT');
      await sleep(8000); // app1 back, its pinned payments due again: the fence is what stops it
      const sentByApp1 = allIds(layout).filter((id) =>
        layout.processors.default.callersOf(id).some((c) => c.endsWith(layout.hosts.app1.ip)),
      );
      const { taken, unfenced } = takeovers(layout, sentByApp1);
      return {
        figures:
          `app1 ${how === 'cut' ? 'cut off' : 'paused'} for ${awayMs} ms (heartbeat TTL ${TTL_MS} ms) with ${held} ` +
          `payments in flight: ${taken} of its payments taken over (sent or looked up) by another host; ` +
          'sent again by app1 ' +
          `after that: ${unfenced.length}`,
        problems: [
          ...(held === 0 ? ['app1 had nothing in flight when it went away: the case proves nothing'] : []),
          ...(taken === 0 ? ['no payment of app1 was taken over'] : []),
          ...unfenced.map((id) => `${id}: app1 sent it after another host had taken it over`),
        ],
      };
    },
    async (layout) => {
      await fetch(`${layout.processors.default.url}/admin/configurations/delay`, {
        method: 'PUT',
        headers: { 'x-rinha-token': '123', 'content-type': 'application/json' },
        body: JSON.stringify({ delay: 1000 }),
      });
    },
  );
}

/** Payments an instance has sent and not seen answered, from its actor tree. */
async function inFlightAt(layout: Layout, app: string): Promise<number> {
  const res = await fetch(`http://${layout.hosts[app].ip}:8080/actors`);
  const { supervisor } = (await res.json()) as { supervisor: { inFlight: { default: number; fallback: number } } };
  return supervisor.inFlight.default + supervisor.inFlight.fallback;
}

function allIds(layout: Layout): string[] {
  return [...layout.processors.default.calledIds(), ...layout.processors.fallback.calledIds()];
}

export const appCutOff = () => appAway('cut');
export const appPaused = () => appAway('pause');

/** Postgres cut off for 30 s: payments wait (claimed, acknowledged), none is lost, the summary is right after. */
export function postgresCutOff(): Promise<StepOutcome> {
  return underLoad(50, 40_000, async (layout) => {
    setCutOff(layout.hosts.postgres, true);
    await sleep(30_000);
    setCutOff(layout.hosts.postgres, false);
    return { figures: 'Postgres cut off for 30 s under load', problems: [] };
  });
}
