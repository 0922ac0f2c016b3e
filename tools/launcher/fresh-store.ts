// When the launcher runs its own processor simulators, which keep nothing across restarts,
// our store must start empty too: otherwise a second `npm start` shows the first run's payments
// in our summary and not in the simulators', and a user comparing totals by hand sees them differ.
import Redis from 'ioredis';
import { PaymentsTable } from '../../src/store/payments-table';
import { PendingPayments } from '../../src/store/pending-payments';

/** Empties the payments table and every Redis key of the deployment (the same as POST /purge-payments). */
export async function emptyStore(options: {
  databaseUrl: string;
  databaseSchema: string;
  redisUrl: string;
  redisPrefix: string;
}): Promise<void> {
  const table = PaymentsTable.connect(options.databaseUrl, options.databaseSchema, 1);
  const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await table.migrate();
    await table.purge();
    await redis.connect();
    // The window's length does not matter to a purge: it removes every slice.
    await new PendingPayments(redis, options.redisPrefix, 'launcher', 60_000).purge();
  } finally {
    await table.close();
    redis.disconnect();
  }
}
