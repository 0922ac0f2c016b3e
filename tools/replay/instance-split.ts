// What each instance behind the backend answered during a run, from its own metrics (read through Nginx at
// /instances/<name>/metrics before and after): payments accepted, refused (503) and rejected for their input,
// and the p99 of its answers, from its histogram. Our deployments name the instances app1, app2, ...; where
// none answers by that name (the official processors' backend, another entry, an admin token), there is no split.

/** Names tried, in order: the compose file's two, the multi-host layout's three, `npm start -- --instances N`. */
const NAMES = Array.from({ length: 8 }, (_, i) => `app${i + 1}`);

export interface InstanceCounters {
  accepted: number;
  refused: number;
  rejectedInput: number;
  /** Answers of POST /payments at or under each bucket's bound (seconds), cumulative as Prometheus keeps them. */
  buckets: Map<number, number>;
}

export interface InstanceSplitRow {
  instance: string;
  accepted: number;
  refused: number;
  rejectedInput: number;
  /** The bucket bound that holds the 99th percentile of its answers, in ms (null: no answers). */
  p99AtMostMs: number | null;
}

function labelsOf(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

/** The counters of one instance's /metrics text. */
export function parseCounters(metrics: string): InstanceCounters {
  const c: InstanceCounters = { accepted: 0, refused: 0, rejectedInput: 0, buckets: new Map() };
  for (const m of metrics.matchAll(/^(payment_requests_total|payment_duration_seconds_bucket)\{([^}]*)\} (\S+)$/gm)) {
    const labels = labelsOf(m[2]);
    const value = Number(m[3]);
    if (m[1] === 'payment_duration_seconds_bucket') {
      c.buckets.set(labels.le === '+Inf' ? Infinity : Number(labels.le), value);
      continue;
    }
    if (labels.outcome === 'accepted') c.accepted += value;
    else if (labels.outcome === 'refused') c.refused += value;
    else if (labels.outcome === 'rejected_input') c.rejectedInput += value;
  }
  return c;
}

/** Every instance that answers by name, with its counters now. */
export async function readInstances(backendUrl: string): Promise<Map<string, InstanceCounters>> {
  const found = new Map<string, InstanceCounters>();
  await Promise.all(
    NAMES.map(async (name) => {
      const res = await fetch(`${backendUrl}/instances/${name}/metrics`, { signal: AbortSignal.timeout(2000) }).catch(
        () => null,
      );
      if (res?.ok) found.set(name, parseCounters(await res.text()));
    }),
  );
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })));
}

/** The smallest bucket bound under which 99 % of the answers in the run fell. */
function p99Bound(before: Map<number, number>, after: Map<number, number>): number | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const inRun = (le: number) => (after.get(le) ?? 0) - (before.get(le) ?? 0);
  const total = inRun(Infinity);
  if (total <= 0) return null;
  const bound = bounds.find((le) => inRun(le) >= total * 0.99) ?? Infinity;
  return bound * 1000;
}

/** What each instance answered between two readings (an instance that restarted counts from its restart). */
export function splitOf(
  before: Map<string, InstanceCounters>,
  after: Map<string, InstanceCounters>,
): InstanceSplitRow[] {
  const zero: InstanceCounters = { accepted: 0, refused: 0, rejectedInput: 0, buckets: new Map() };
  return [...after].map(([instance, a]) => {
    // Counters only grow; one that went down restarted, and counts from zero.
    const b0 = before.get(instance) ?? zero;
    const b = a.accepted < b0.accepted ? zero : b0;
    return {
      instance,
      accepted: a.accepted - b.accepted,
      refused: a.refused - b.refused,
      rejectedInput: a.rejectedInput - b.rejectedInput,
      p99AtMostMs: p99Bound(b.buckets, a.buckets),
    };
  });
}
