// Settings of one Payment Processor simulator.

export interface SimulatorOptions {
  /** Label in logs: 'default' or 'fallback'. */
  name: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** TRANSACTION_FEE: fee per unit of amount (official: default 0.05, fallback 0.15). */
  fee: number;
  /** INITIAL_TOKEN of the admin endpoints' X-Rinha-Token header. */
  token: string;
  /** The health endpoint's fixed window (official: 5 s); shorter for fast tests. */
  healthWindowMs: number;
  /** Callers that may wait for the next window before 429 (official: 2). */
  healthQueueLimit: number;
  /** When set, payments are stored in Postgres (like the official one) instead of memory. */
  databaseUrl?: string;
  /** Postgres schema for the store (created if missing). */
  schema: string;
}

export const DEFAULT_SIMULATOR_OPTIONS: SimulatorOptions = {
  name: 'default',
  host: '127.0.0.1',
  port: 8001,
  fee: 0.05,
  token: '123',
  healthWindowMs: 5000,
  healthQueueLimit: 2,
  schema: 'processor_default',
};
