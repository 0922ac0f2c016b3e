// payments_consistency: every few seconds, our summary and both processors' for the
// window [now - 15 s, now - 2 s], fetched at the same time; every difference in the
// number of payments counts as inconsistencies.
import type { ProcessorsAdmin } from './processors-admin';
import type { TimedClient } from './timed-client';

export interface ConsistencyCheck {
  t: number;
  from: string;
  to: string;
  ours: { default: number; fallback: number };
  theirs: { default: number; fallback: number };
  inconsistencies: number;
}

interface BackendSummary {
  default: { totalRequests: number };
  fallback: { totalRequests: number };
}

export async function checkConsistency(
  client: TimedClient,
  admin: ProcessorsAdmin,
  backendUrl: string,
  t: number,
  now = new Date(),
): Promise<ConsistencyCheck> {
  const from = new Date(now.getTime() - 15_000).toISOString();
  const to = new Date(now.getTime() - 2_000).toISOString();
  const [d, f, ours] = await Promise.all([
    admin.summary('default', from, to),
    admin.summary('fallback', from, to),
    client
      .send('summary', `${backendUrl}/payments-summary?from=${from}&to=${to}`, 'GET', 1500)
      .then((r): BackendSummary => {
        try {
          if (r.status === 200) return JSON.parse(r.body) as BackendSummary;
        } catch {
          /* falls through to zeros, as the official test does */
        }
        return { default: { totalRequests: 0 }, fallback: { totalRequests: 0 } };
      }),
  ]);
  const check = {
    t,
    from,
    to,
    ours: { default: ours.default.totalRequests, fallback: ours.fallback.totalRequests },
    theirs: { default: d.totalRequests, fallback: f.totalRequests },
    inconsistencies: 0,
  };
  check.inconsistencies =
    Math.abs(check.ours.default - check.theirs.default) + Math.abs(check.ours.fallback - check.theirs.fallback);
  return check;
}
