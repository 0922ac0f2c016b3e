// What every proof checks after its load (tools/engine/acknowledged-load.ts, which keeps every id answered
// 202): each is recorded by exactly one processor, with the requestedAt and processor our table holds for
// it, and our summary equals the processors' over the run.
import { Client } from 'pg';
import type { Layout } from './layout';
import { compareSummaries } from '../smoke/summaries';

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
