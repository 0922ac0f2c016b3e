// This instance's heartbeat in Redis, and recovery of what dead instances (or this one's
// previous life) left pending: their payments are claimed and handed to the supervisor.
import { tell, type ActorRef } from '../actors/kit/actor';
import type { SupervisorMsg } from '../actors/supervisor/protocol';
import type { Config } from '../shared/config';
import type { Logger } from '../shared/log';
import { RepeatedWarning } from '../shared/repeated-warning';
import type { PendingPayments } from '../store/pending-payments';

/** Most payments taken over in one sweep (one per HEARTBEAT_MS): a backlog comes back in pieces. */
export const TAKE_OVER_CHUNK = 2000;

/**
 * Beats once and sets aside this instance's own leftovers; then beats, and takes back its leftovers and takes
 * over what dead instances left, every HEARTBEAT_MS, at most as many as `room()` says it may hold (MAX_HELD
 * less what it holds) and TAKE_OVER_CHUNK at once. Returns the stop.
 */
export async function startHeartbeat(
  config: Config,
  pending: PendingPayments,
  supervisor: ActorRef<SupervisorMsg>,
  log: Logger,
  room: () => number,
): Promise<() => void> {
  const heartbeatTtl = 3 * config.heartbeatMs;
  await pending.heartbeat(heartbeatTtl);
  const leftovers = await pending.setAsideLeftovers();
  if (leftovers > 0) log.info('leftovers-set-aside', { count: leftovers });
  const warning = new RepeatedWarning(log, 'heartbeat-failed', config.logRepeatMs);
  // Two loops, so neither holds the other back: a take-over waits behind claims (and their WAITs) on the
  // command connection, while the beat, on its own, keeps this instance alive meanwhile.
  const beat = everyTurn(
    config.heartbeatMs,
    async () => {
      await pending.heartbeat(heartbeatTtl);
      warning.recovered();
    },
    (err) => warning.failed({ err }),
  );
  const sweep = everyTurn(
    config.heartbeatMs,
    async () => {
      const orphans = await pending.claimOrphans(Math.min(room(), TAKE_OVER_CHUNK));
      if (orphans.length === 0) return;
      // Handed over first, then cleared: a payment told twice (the clearing's answer lost) is one the
      // supervisor holds already, and skips.
      tell(supervisor, { type: 'recovered', payments: orphans });
      await pending.adopted(orphans.map((p) => p.correlationId));
    },
    (err) => warning.failed({ err }),
    true,
  );
  return () => {
    beat();
    sweep();
  };
}

/**
 * Runs `work` every `ms` (and at once, with `now`), never two at once (a turn still running skips the next).
 * Returns the stop.
 */
export function everyTurn(
  ms: number,
  work: () => Promise<void>,
  failed: (err: unknown) => void,
  now = false,
): () => void {
  let running = false;
  const turn = () => {
    if (running) return;
    running = true;
    work().then(
      () => (running = false),
      (err: unknown) => {
        running = false;
        failed(err);
      },
    );
  };
  const timer = setInterval(turn, ms);
  timer.unref();
  if (now) turn();
  return () => clearInterval(timer);
}
