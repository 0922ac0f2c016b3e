// What every proof checks after its load: each payment answered 202 is recorded by exactly one
// processor, with the requestedAt and processor our table holds for it, and our summary equals the
// processors' over the run.
import { Client } from 'pg';
import type { Layout } from './layout';
import { compareSummaries } from '../smoke/summaries';

export interface Posted {
  id: string;
  status: number | 'error';
  sentAt: number;
}

/** Posts fresh payments at `ratePerS` for `ms` through Nginx (2 s per request at most). */
export async function steadyLoad(url: string, ratePerS: number, ms: number): Promise<Posted[]> {
  const out: Posted[] = [];
  const pending: Promise<void>[] = [];
  const started = Date.now();
  for (let sent = 0; Date.now() - started < ms;) {
    const due = Math.floor(((Date.now() - started) / 1000) * ratePerS);
    for (; sent < due; sent++) {
      const id = crypto.randomUUID();
      const sentAt = Date.now();
      const post = fetch(`${url}/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ correlationId: id, amount: 12.34 }),
        signal: AbortSignal.timeout(2000),
      });
      pending.push(
        post.then(
          async (r) => void (await r.arrayBuffer(), out.push({ id, status: r.status, sentAt })),
          () => void out.push({ id, status: 'error', sentAt }),
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(pending);
  return out;
}

interface Held {
  processor: string;
  requestedAt: string;
}

async function heldBy(url: string, id: string): Promise<Held | null> {
  const res = await fetch(`${url}/payments/${id}`);
  if (res.status !== 200) return null;
  const body = (await res.json()) as { requestedAt: string };
  return { processor: url, requestedAt: new Date(body.requestedAt).toISOString() };
}

/** Problems with the acknowledged payments (none is the proof): lost, doubled, or differing from our row. */
export async function acknowledgedExactlyOnce(layout: Layout, ids: string[]): Promise<string[]> {
  const pg = new Client({ connectionString: layout.databaseUrl });
  await pg.connect();
  const rows = await pg
    .query<{ id: string; processor: string; requested_at: Date }>(
      'SELECT correlation_id AS id, processor, requested_at FROM payments WHERE correlation_id = ANY($1::uuid[])',
      [ids],
    )
    .finally(() => pg.end());
  const ours = new Map(rows.rows.map((r) => [r.id, r]));
  const problems: string[] = [];
  const urls = { default: layout.processors.default.url, fallback: layout.processors.fallback.url };
  for (const id of ids) {
    const held = (await Promise.all([heldBy(urls.default, id), heldBy(urls.fallback, id)])).filter((h) => h !== null);
    const row = ours.get(id);
    if (held.length !== 1) problems.push(`${id}: recorded by ${held.length} processors`);
    else if (!row) problems.push(`${id}: acknowledged, recorded by a processor, not in our table`);
    else if (held[0].processor !== urls[row.processor as 'default' | 'fallback'])
      problems.push(`${id}: our table says ${row.processor}`);
    else if (row.requested_at.toISOString() !== held[0].requestedAt)
      problems.push(`${id}: requestedAt ours ${row.requested_at.toISOString()}, theirs ${held[0].requestedAt}`);
  }
  return problems;
}

/** Our summary against the processors', over the run: equal to the cent, or why not. */
export async function summariesEqual(layout: Layout, from: Date): Promise<{ equal: boolean; detail: string }> {
  const processors = { default: layout.processors.default.url, fallback: layout.processors.fallback.url };
  return compareSummaries(layout.url, processors, from, new Date(Date.now() + 1000));
}
