// This instance's heartbeat in Redis, and recovery of what dead instances (or this one's
// previous life) left pending: their payments are claimed and handed to the supervisor.
import { tell, type ActorRef } from '../actors/actor-system';
import type { SupervisorMsg } from '../actors/payment-supervisor';
import type { Config } from '../config';
import type { Logger } from '../log';
import { RepeatedWarning } from '../repeated-warning';
import type { PendingPayments } from '../store/pending-payments';

/** Beats once, recovers this instance's own leftovers, then beats and sweeps every HEARTBEAT_MS. Returns the stop. */
export async function startHeartbeat(
  config: Config,
  pending: PendingPayments,
  supervisor: ActorRef<SupervisorMsg>,
  log: Logger,
): Promise<() => void> {
  const heartbeatTtl = 3 * config.heartbeatMs;
  await pending.heartbeat(heartbeatTtl);
  const leftovers = await pending.owned();
  if (leftovers.length > 0) tell(supervisor, { type: 'recovered', payments: leftovers });
  let sweeping = false;
  const warning = new RepeatedWarning(log, 'heartbeat-failed', config.logRepeatMs);
  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      await pending.heartbeat(heartbeatTtl);
      const orphans = await pending.claimOrphans();
      if (orphans.length > 0) {
        // Handed over first, then cleared: a payment told twice (the clearing's answer lost) is one the
        // supervisor holds already, and skips.
        tell(supervisor, { type: 'recovered', payments: orphans });
        await pending.adopted(orphans.map((p) => p.correlationId));
      }
      warning.recovered();
    } catch (err) {
      warning.failed({ err });
    } finally {
      sweeping = false;
    }
  };
  const timer = setInterval(() => void sweep(), config.heartbeatMs);
  timer.unref();
  return () => clearInterval(timer);
}
