// The simulator's store in Postgres, as the official processor keeps it.
import { Pool } from 'pg';
import type { LateRecord, PaymentStore, StoreSummary, StoredPayment } from './payment-store';

export class PostgresPaymentStore implements PaymentStore {
  private readonly table: string;

  private constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {
    this.table = `"${schema}".payments`;
  }

  static async open(url: string, schema: string): Promise<PostgresPaymentStore> {
    if (!/^[a-z_][a-z0-9_]*$/i.test(schema)) throw new Error(`invalid schema name: ${schema}`);
    const pool = new Pool({ connectionString: url, max: 20 });
    pool.on('error', () => undefined);
    const store = new PostgresPaymentStore(pool, schema);
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await pool.query(`CREATE TABLE IF NOT EXISTS ${store.table} (
      correlation_id uuid PRIMARY KEY, amount_cents bigint NOT NULL, requested_at timestamptz NOT NULL)`);
    await pool.query(`ALTER TABLE ${store.table} ADD COLUMN IF NOT EXISTS stored_at timestamptz`);
    return store;
  }

  async insert(p: StoredPayment): Promise<'inserted' | 'duplicate'> {
    const res = await this.pool.query(
      `INSERT INTO ${this.table} (correlation_id, amount_cents, requested_at, stored_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [
        p.correlationId,
        p.amountCents,
        new Date(p.requestedAtMs),
        p.storedAtMs === undefined ? null : new Date(p.storedAtMs),
      ],
    );
    return res.rowCount === 1 ? 'inserted' : 'duplicate';
  }

  async find(correlationId: string): Promise<StoredPayment | null> {
    const res = await this.pool.query<{ amount_cents: string; requested_at: Date }>(
      `SELECT amount_cents, requested_at FROM ${this.table} WHERE correlation_id = $1`,
      [correlationId],
    );
    if (res.rows.length === 0) return null;
    return {
      correlationId,
      amountCents: Number(res.rows[0].amount_cents),
      requestedAtMs: res.rows[0].requested_at.getTime(),
    };
  }

  async summary(fromMs: number | null, toMs: number | null): Promise<StoreSummary> {
    const bounded = fromMs !== null && toMs !== null;
    const res = await this.pool.query<{ n: string; cents: string }>(
      `SELECT count(*) AS n, coalesce(sum(amount_cents), 0) AS cents FROM ${this.table} ` +
        `${bounded ? 'WHERE requested_at BETWEEN $1 AND $2' : ''}`,
      bounded ? [new Date(fromMs), new Date(toMs)] : [],
    );
    return { count: Number(res.rows[0].n), cents: Number(res.rows[0].cents) };
  }

  async late(afterMs: number, limit: number): Promise<LateRecord[]> {
    const res = await this.pool.query<{ r: string; s: string }>(
      `SELECT (extract(epoch FROM requested_at) * 1000)::float8 AS r,
              (extract(epoch FROM stored_at) * 1000)::float8 AS s
       FROM ${this.table} WHERE stored_at > requested_at + $1 * interval '1 millisecond'
       ORDER BY requested_at LIMIT $2`,
      [afterMs, limit],
    );
    return res.rows.map((row) => [Number(row.r), Number(row.s)]);
  }

  async purge(): Promise<void> {
    await this.pool.query(`TRUNCATE ${this.table}`);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async drop(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
  }
}
