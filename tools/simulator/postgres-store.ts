// The simulator's store in Postgres, as the official processor keeps it.
import { Pool } from 'pg';
import type { PaymentStore, StoreSummary, StoredPayment } from './payment-store';

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
    return store;
  }

  async insert(p: StoredPayment): Promise<'inserted' | 'duplicate'> {
    const res = await this.pool.query(`INSERT INTO ${this.table} VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
      p.correlationId,
      p.amountCents,
      new Date(p.requestedAtMs),
    ]);
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
