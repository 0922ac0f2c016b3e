// Postgres holds every payment a processor recorded, exactly as it recorded it.
// Amounts are integer cents so sums are exact; requested_at is what we sent the processor;
// answered_at is when its answer reached us (rows from before that column: -infinity).
import { Pool } from 'pg';
import type { PaymentsSummary, ProcessorName, RecordedPayment } from '../domain/payment';
import { centsToAmount } from '../domain/payment';
import type { SummaryWindow } from '../domain/summary-window';

function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/i.test(name)) throw new Error(`invalid schema name: ${name}`);
  return `"${name}"`;
}

export class PaymentsTable {
  private readonly table: string;

  /**
   * `pool` carries look-ups and writes, the path every payment takes; `summaryPool` (the same one unless
   * given) carries summaries, so that slow or many summaries wait for each other, never for a payment.
   */
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly summaryPool: Pool = pool,
  ) {
    this.table = `${quoteIdent(schema)}.payments`;
  }

  /**
   * `queryTimeoutMs`: a query not answered by then fails, and its connection is dropped. Without it, a
   * Postgres whose packets vanish (no reset) holds a pooled connection until the kernel gives up, many
   * minutes later, and every look-up waits behind it. Keep-alive probes find such a connection idle too.
   */
  static connect(
    url: string,
    schema: string,
    poolSize: number,
    queryTimeoutMs = 5000,
    summaryPoolSize = 0,
  ): PaymentsTable {
    const open = (max: number) => {
      const pool = new Pool({
        connectionString: url,
        max,
        idleTimeoutMillis: 0,
        connectionTimeoutMillis: 2000,
        query_timeout: queryTimeoutMs,
        keepAlive: true,
        keepAliveInitialDelayMillis: 5000,
      });
      // An idle client that loses its connection (Postgres restarted) must not crash the process.
      pool.on('error', () => undefined);
      return pool;
    };
    const pool = open(poolSize);
    return new PaymentsTable(pool, schema, summaryPoolSize > 0 ? open(summaryPoolSize) : pool);
  }

  async migrate(): Promise<void> {
    // Both instances start together: "IF NOT EXISTS" alone still races in the catalog, so take a lock.
    const client = await this.pool.connect();
    try {
      await client.query(`SELECT pg_advisory_lock(hashtext('rinha-actors-migrate'))`);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        correlation_id uuid PRIMARY KEY,
        processor text NOT NULL CHECK (processor IN ('default', 'fallback')),
        amount_cents bigint NOT NULL,
        requested_at timestamptz NOT NULL
      )`);
      await client.query(`CREATE INDEX IF NOT EXISTS payments_requested_at ON ${this.table} (requested_at)`);
      // A constant default: Postgres adds the column without rewriting the table.
      await client.query(
        `ALTER TABLE ${this.table} ADD COLUMN IF NOT EXISTS answered_at timestamptz NOT NULL DEFAULT '-infinity'`,
      );
    } finally {
      await client.query(`SELECT pg_advisory_unlock(hashtext('rinha-actors-migrate'))`).catch(() => undefined);
      client.release();
    }
  }

  /** Inserts a batch in one statement; a payment already there is left as it is. */
  async insert(payments: RecordedPayment[]): Promise<void> {
    if (payments.length === 0) return;
    const ids: string[] = [];
    const processors: string[] = [];
    const cents: number[] = [];
    const times: string[] = [];
    const answered: number[] = [];
    for (const p of payments) {
      ids.push(p.correlationId);
      processors.push(p.processor);
      cents.push(p.amountCents);
      times.push(p.requestedAt);
      answered.push(p.answeredAt);
    }
    await this.pool.query(
      `INSERT INTO ${this.table} (correlation_id, processor, amount_cents, requested_at, answered_at)
       SELECT id, processor, cents, at, to_timestamp(answered / 1000.0)
       FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::timestamptz[], $5::float8[])
         AS u(id, processor, cents, at, answered)
       ON CONFLICT (correlation_id) DO NOTHING`,
      [ids, processors, cents, times, answered],
    );
  }

  /**
   * Totals per processor for requested_at in [from, to], both ends included, answered by `asOf`.
   * As the processors do, a missing bound means "count everything".
   */
  async summary(window: SummaryWindow): Promise<PaymentsSummary> {
    const conditions: string[] = [];
    const values: Date[] = [];
    if (window.from !== null && window.to !== null) {
      values.push(window.from, window.to);
      conditions.push('requested_at BETWEEN $1 AND $2');
    }
    if (window.asOf) {
      values.push(window.asOf);
      conditions.push(`answered_at <= $${values.length}`);
    }
    const res = await this.summaryPool.query<{ processor: ProcessorName; n: string; cents: string }>(
      `SELECT processor, count(*) AS n, coalesce(sum(amount_cents), 0) AS cents FROM ${this.table}
       ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''} GROUP BY processor`,
      values,
    );
    const summary: PaymentsSummary = {
      default: { totalRequests: 0, totalAmount: 0 },
      fallback: { totalRequests: 0, totalAmount: 0 },
    };
    for (const row of res.rows)
      summary[row.processor] = { totalRequests: Number(row.n), totalAmount: centsToAmount(Number(row.cents)) };
    return summary;
  }

  async purge(): Promise<void> {
    await this.pool.query(`TRUNCATE ${this.table}`);
  }

  /** Which of these ids the table holds: one look-up by the primary key for a whole batch. */
  async recordedAmong(correlationIds: string[]): Promise<Set<string>> {
    if (correlationIds.length === 0) return new Set();
    // Prepared once per connection (named): it runs for every claimed batch.
    const res = await this.pool.query<{ correlation_id: string }>({
      name: `recorded-among-${this.schema}`,
      text: `SELECT correlation_id FROM ${this.table} WHERE correlation_id = ANY($1::uuid[])`,
      values: [correlationIds],
    });
    return new Set(res.rows.map((r) => r.correlation_id));
  }

  /**
   * Every correlationId requested at `since` or later, `chunk` at a time (rebuilding Redis' window of
   * ids after it lost its data): the index on requested_at bounds the work by the window, not the history.
   */
  async *recordedSince(since: Date, chunk = 5000): AsyncGenerator<string[]> {
    let after: { at: string; id: string } | null = null;
    for (;;) {
      const res: { rows: { correlation_id: string; at: string }[] } = await this.pool.query(
        after === null
          ? `SELECT correlation_id, requested_at::text AS at FROM ${this.table} WHERE requested_at >= $1
             ORDER BY requested_at, correlation_id LIMIT $2`
          : `SELECT correlation_id, requested_at::text AS at FROM ${this.table}
             WHERE requested_at >= $1::timestamptz AND (requested_at, correlation_id) > ($1::timestamptz, $3::uuid)
             ORDER BY requested_at, correlation_id LIMIT $2`,
        after === null ? [since, chunk] : [after.at, chunk, after.id],
      );
      if (res.rows.length === 0) return;
      yield res.rows.map((r) => r.correlation_id);
      if (res.rows.length < chunk) return;
      const last = res.rows[res.rows.length - 1];
      after = { at: last.at, id: last.correlation_id };
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.summaryPool === this.pool ? undefined : this.summaryPool.end()]);
  }
}
