// Our summary against the processors' own records, for one window: what the official test compares,
// and what the smoke check and the engine test check after their loads.
export interface Totals {
  totalRequests: number;
  totalAmount: number;
}

async function json<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
  return (await res.json()) as T;
}

function query(from?: Date, to?: Date): string {
  const q = new URLSearchParams();
  if (from) q.set('from', from.toISOString());
  if (to) q.set('to', to.toISOString());
  return q.size ? `?${q.toString()}` : '';
}

/** Each processor's own totals (its admin summary, with the admin token), for the window. */
export async function processorTotals(processors: Record<string, string>, from?: Date, to?: Date, token = '123') {
  const headers = { 'x-rinha-token': token };
  const entries = await Promise.all(
    Object.entries(processors).map(
      async ([name, url]) =>
        [
          name,
          await json<Totals>(`${url.replace(/\/$/, '')}/admin/payments-summary${query(from, to)}`, headers),
        ] as const,
    ),
  );
  return Object.fromEntries(entries) as Record<string, Totals>;
}

/** Both summaries for the window, and whether they agree to the cent. */
export async function compareSummaries(
  url: string,
  processors: Record<string, string>,
  from: Date,
  to: Date,
  token = '123',
) {
  const ours = await json<Record<string, Totals>>(`${url}/payments-summary${query(from, to)}`);
  const theirs = await processorTotals(processors, from, to, token);
  const equal = Object.keys(processors).every(
    (p) =>
      ours[p]?.totalRequests === theirs[p].totalRequests &&
      Math.round(ours[p].totalAmount * 100) === Math.round(theirs[p].totalAmount * 100),
  );
  const show = (s: Record<string, Totals>) =>
    Object.keys(processors)
      .map((p) => `${p} ${s[p]?.totalRequests} / ${s[p]?.totalAmount}`)
      .join(', ');
  return { equal, detail: `ours: ${show(ours)}; theirs: ${show(theirs)}` };
}
