// The supervisor: the one place a payment's route is decided. It owns one actor per
// processor and the batching writers. Accepted payments are first made durable and
// deduplicated in Redis (the claim), then checked against the payments table for ids
// older than Redis' window (the look-up), then wait in its queue until a processor may
// take them:
//   default whenever its breaker lets payments through;
//   fallback when default is too slow for the consistency window, or when a payment
//   has waited DEFAULT_WAIT_MS for a failing default;
//   neither: the payment waits (it is never dropped).
import type { ActorRef } from './actor-system';
import { spawnActor, tell } from './actor-system';
import { InOrderStage } from './in-order-stage';
import type { WriterMsg, WriterSnapshot } from './batch-writer';
import type { ProcessorActor, ProcessorActorSnapshot, SettledReport } from './processor-actor';
import { assertNever } from './processor-actor';
import type { SharedHealth } from './processor-status';
import { planRoutes } from './routing';
import { SendBudget } from './send-budget';
import type { Logger } from '../log';
import { RepeatedWarning } from '../repeated-warning';
import type { ProcessorName } from '../payment';
import type { PendingPayment } from '../store/pending-payments';

/** The part of PendingPayments the supervisor needs. */
export interface IntakeLedger {
  claimFresh(payments: PendingPayment[]): Promise<PendingPayment[]>;
}

/** The payments table, as the permanent memory of which ids were recorded (Redis keeps only a window). */
export interface PaymentHistory {
  /** The ids of these payments that the table already holds (released from Redis). */
  recordedAmong(payments: PendingPayment[]): Promise<Set<string>>;
}

/** One hand-over from the front end; `batch` is set when its answers wait for the claim (ACK_WHEN_DURABLE). */
interface AcceptedBatch {
  payments: PendingPayment[];
  batch?: number;
  answered: boolean;
}

/** A payment on its way through the look-up; a recovered one keeps the assignment it had. */
interface LookedUp {
  payment: PendingPayment;
  recovered: boolean;
}

export interface SupervisorSnapshot {
  name: string;
  mailbox: number;
  waiting: number;
  /** Accepted payments whose claim in Redis has not landed yet: acknowledged, not yet durable. */
  claiming: number;
  /** Claimed (or recovered) payments whose look-up in the payments table has not answered yet. */
  checking: number;
  oldestWaitingMs: number;
  inFlight: Record<ProcessorName, number>;
  accepted: number;
  duplicates: number;
  processors: ProcessorActorSnapshot[];
  writers: WriterSnapshot[];
}

export type SupervisorMsg =
  | { type: 'accepted'; payments: PendingPayment[]; batch?: number }
  | { type: 'claimed'; payments: PendingPayment[]; offered: number }
  | { type: 'recovered'; payments: PendingPayment[] }
  | { type: 'looked-up'; unrecorded: LookedUp[]; recorded: LookedUp[] }
  | SettledReport
  | { type: 'health'; processor: ProcessorName; health: SharedHealth }
  | { type: 'tick' }
  | { type: 'flush'; replyTo: (ok: boolean) => void }
  | { type: 'purge'; replyTo: () => void }
  | { type: 'inspect'; replyTo: (snapshot: SupervisorSnapshot) => void }
  /** Every payment this instance holds and has not seen recorded (waiting or in flight), with its assignment. */
  | { type: 'held'; replyTo: (payments: PendingPayment[]) => void }
  | { type: 'stop'; replyTo: () => void };

export interface SupervisorChildren {
  processors: Record<ProcessorName, ProcessorActor>;
  writers: ActorRef<WriterMsg>[];
}

export interface SupervisorOptions {
  ledger: IntakeLedger;
  history: PaymentHistory;
  /** Creates the children once the supervisor exists (they report to it). */
  spawnChildren: (self: ActorRef<SupervisorMsg>) => SupervisorChildren;
  maxInFlight: number;
  /** Most payments sent to processors per second (0: no limit); see send-budget.ts. */
  sendRatePerS?: number;
  defaultWaitMs: number;
  tickMs: number;
  claimRetryMs: number;
  /** Most payments in one claim or one look-up. */
  stageBatchLimit?: number;
  /** How long a claimed payment waits to share its look-up in the payments table (LOOKUP_BATCH_MS). */
  lookupGatherMs?: number;
  /** A failure that repeats is logged at most once per this many ms (LOG_REPEAT_MS). */
  logRepeatMs?: number;
  log: Logger;
  now?: () => number;
  onRouted?: (processor: ProcessorName, count: number) => void;
  /** A claim landed in Redis, or failed (with the error): what the intake gate listens to. */
  onClaimLanded?: () => void;
  onClaimFailed?: (err: unknown, count: number) => void;
  /** How many acknowledged payments are not durable yet, after each change. */
  onNotDurable?: (count: number) => void;
  /** A batch handed over with an id: durable (its claim landed) or not (its first claim failed). Once per batch. */
  onBatchSettled?: (batch: number, durable: boolean) => void;
}

interface SupervisorState {
  children: SupervisorChildren;
  queue: PendingPayment[];
  inFlight: Record<ProcessorName, number>;
  /** A half-open breaker lets one probe through: remember it was sent until that processor reports. */
  probeOut: Record<ProcessorName, boolean>;
  nextWriter: number;
  accepted: number;
  duplicates: number;
  /** The next tick, pending only while payments wait (an idle instance wakes for nothing). */
  timer: NodeJS.Timeout | null;
  stopped: boolean;
  /** Payments accepted before this were purged: if one comes back unrecorded, it is forgotten. */
  purgedAt: number;
  /** Claimed (or recovered) here and not yet recorded, by correlationId: what Redis must hold for this instance. */
  held: Map<string, PendingPayment>;
  /**
   * Payments a stage is done with whose message is still in the mailbox: counted as checking, so a
   * shutdown that waits for the stages cannot slip between a stage and its message.
   */
  arriving: number;
}

function gather<T>(count: number, ask: (reply: (value: T) => void) => void, done: (values: T[]) => void): void {
  const values: T[] = [];
  if (count === 0) return done(values);
  ask((value) => {
    values.push(value);
    if (values.length === count) done(values);
  });
}

export function spawnSupervisor(parent: unknown, options: SupervisorOptions): ActorRef<SupervisorMsg> {
  const now = options.now ?? Date.now;
  const { log } = options;
  let self: ActorRef<SupervisorMsg>;

  const repeatMs = options.logRepeatMs ?? 10_000;
  const claimWarning = new RepeatedWarning(log, 'claim-failed', repeatMs, now);
  const lookupWarning = new RepeatedWarning(log, 'lookup-failed', repeatMs, now);
  const count = (batches: AcceptedBatch[]) => batches.reduce((n, b) => n + b.payments.length, 0);
  const answer = (batches: AcceptedBatch[], durable: boolean) => {
    for (const b of batches) {
      if (b.batch === undefined || b.answered) continue;
      b.answered = true;
      options.onBatchSettled?.(b.batch, durable);
    }
  };

  // Claims go to Redis one request at a time, in order; while Redis refuses, the batches wait here
  // (acknowledged, not durable) and go first when it takes writes again.
  const claims = new InOrderStage<AcceptedBatch, PendingPayment[]>({
    run: (batches) =>
      options.ledger.claimFresh(batches.length === 1 ? batches[0].payments : batches.flatMap((b) => b.payments)),
    done: (batches, fresh) => {
      claimWarning.recovered();
      options.onClaimLanded?.();
      answer(batches, true);
      shared.arriving += count(batches);
      tell(self, { type: 'claimed', payments: fresh, offered: count(batches) });
      options.onNotDurable?.(claims.weight);
    },
    failed: (batches, err) => {
      claimWarning.failed({ count: count(batches), waiting: claims.weight, err });
      options.onClaimFailed?.(err, count(batches));
      answer(batches, false);
    },
    retryMs: options.claimRetryMs,
    maxWeight: options.stageBatchLimit ?? 1000,
    weight: (b) => b.payments.length,
  });

  // Ids older than Redis' window are known to the payments table only: one look-up per request.
  const lookups = new InOrderStage<LookedUp, { unrecorded: LookedUp[]; recorded: LookedUp[] }>({
    run: async (items) => {
      const done = await options.history.recordedAmong(items.map((i) => i.payment));
      return {
        unrecorded: items.filter((i) => !done.has(i.payment.correlationId)),
        recorded: items.filter((i) => done.has(i.payment.correlationId)),
      };
    },
    done: (items, result) => {
      lookupWarning.recovered();
      shared.arriving += items.length;
      tell(self, { type: 'looked-up', ...result });
    },
    failed: (items, err) => lookupWarning.failed({ count: items.length, err }),
    retryMs: options.claimRetryMs,
    maxWeight: options.stageBatchLimit ?? 1000,
    weight: () => 1,
    gatherMs: options.lookupGatherMs ?? 0,
  });

  const sendTo = (state: SupervisorState, processor: ProcessorName, payments: PendingPayment[], assigned = false) => {
    if (payments.length === 0) return;
    state.inFlight[processor] += payments.length;
    tell(state.children.processors[processor].ref, { type: 'send', payments, assigned });
    options.onRouted?.(processor, payments.length);
  };

  // When default is open and nothing waits, accepted payments will almost surely go to default at
  // once: their assignment then travels with their claim (one Redis round trip instead of two).
  // Should routing decide otherwise by the time the claim answers, the assignment is only dropped
  // here: the next one written replaces it, and one that was never sent is harmless (recovery would
  // send it to default with that requestedAt, where it was never recorded).
  const preassign = (state: SupervisorState, payments: PendingPayment[]) => {
    if (state.queue.length > 0 || state.children.processors.default.gauge.allowance() !== Number.POSITIVE_INFINITY)
      return;
    const requestedAt = new Date(now()).toISOString();
    for (const p of payments) p.assignment = { processor: 'default', requestedAt };
  };

  /** Drops assignments made with the claim: these payments go elsewhere, or later, with a new one. */
  const unassigned = (payments: PendingPayment[]) => {
    for (const p of payments) p.assignment = undefined;
    return payments;
  };

  const budget = new SendBudget(options.sendRatePerS ?? 0, now);

  const route = (state: SupervisorState) => {
    if (state.queue.length === 0 || state.stopped) return;
    const allowed = budget.available();
    if (allowed < 1) return tickLater(state); // the tick comes back for them
    // Only the oldest `allowed` are offered; the rest keep their place behind them.
    const offered = allowed >= state.queue.length ? state.queue : state.queue.slice(0, allowed);
    const held = offered === state.queue ? [] : state.queue.slice(allowed);
    const plan = planRoutes({
      queue: offered,
      now: now(),
      defaultWaitMs: options.defaultWaitMs,
      capacity: (p) => {
        const gauge = state.children.processors[p].gauge;
        const allowance = gauge.allowance();
        if (allowance !== Number.POSITIVE_INFINITY && state.probeOut[p]) return 0;
        return Math.min(allowance, options.maxInFlight - state.inFlight[p]);
      },
      unavailable: (p) => state.children.processors[p].gauge.unavailable(),
    });
    for (const p of ['default', 'fallback'] as const) {
      const batch = plan[p];
      if (batch.length === 0) continue;
      if (state.children.processors[p].gauge.allowance() !== Number.POSITIVE_INFINITY) state.probeOut[p] = true;
      if (p === 'default') {
        sendTo(
          state,
          p,
          batch.filter((x) => x.assignment),
          true,
        );
        sendTo(
          state,
          p,
          batch.filter((x) => !x.assignment),
        );
      } else sendTo(state, p, unassigned(batch));
    }
    unassigned(plan.waiting);
    unassigned(held);
    budget.spend(plan.default.length + plan.fallback.length);
    state.queue = held.length === 0 ? plan.waiting : plan.waiting.concat(held);
    if (state.queue.length > 0) tickLater(state);
  };

  // What waits is looked at again every tickMs: a breaker half-opens, a wait runs out, the budget refills.
  const tickLater = (state: SupervisorState) => {
    if (state.timer || state.stopped) return;
    state.timer = setTimeout(() => {
      state.timer = null;
      tell(self, { type: 'tick' });
    }, options.tickMs);
    state.timer.unref();
  };

  const write = (state: SupervisorState, report: SettledReport) => {
    if (report.recorded.length === 0) return;
    const writer = state.children.writers[state.nextWriter++ % state.children.writers.length];
    tell(writer, { type: 'write', payments: report.recorded });
  };

  // One state object for the actor's whole life (crash policy resume); its children are
  // spawned right after the supervisor, before any message is handled.
  const shared: SupervisorState = {
    children: { processors: {} as SupervisorChildren['processors'], writers: [] },
    queue: [],
    inFlight: { default: 0, fallback: 0 },
    probeOut: { default: false, fallback: false },
    nextWriter: 0,
    accepted: 0,
    duplicates: 0,
    timer: null,
    stopped: false,
    held: new Map(),
    purgedAt: 0,
    arriving: 0,
  };
  self = spawnActor<SupervisorState, SupervisorMsg>(parent, {
    name: 'supervisor',
    initialState: () => shared,
    // A crash while routing must not forget the waiting payments: keep the state.
    onCrash: 'resume',
    onError: (err, msg) => log.error('actor-crashed', { actor: 'supervisor', message: msg.type, err }),
    handle: (state, msg) => {
      switch (msg.type) {
        case 'accepted':
          preassign(state, msg.payments);
          claims.push([{ payments: msg.payments, batch: msg.batch, answered: false }]);
          options.onNotDurable?.(claims.weight);
          break;
        case 'claimed': {
          state.arriving -= msg.offered;
          state.accepted += msg.payments.length;
          state.duplicates += msg.offered - msg.payments.length;
          // A claim that was on its way to Redis when a purge came: its payments were purged with the rest.
          const kept = msg.payments.filter((p) => p.acceptedAt >= state.purgedAt);
          for (const p of kept) state.held.set(p.correlationId, p);
          lookups.push(kept.map((payment) => ({ payment, recovered: false })));
          break;
        }
        case 'recovered':
          log.info('payments-recovered', { count: msg.payments.length });
          for (const p of msg.payments) state.held.set(p.correlationId, p);
          lookups.push(msg.payments.map((payment) => ({ payment, recovered: true })));
          break;
        case 'looked-up': {
          state.arriving -= msg.recorded.length + msg.unrecorded.length;
          // Already in the table: recorded before Redis' window (a late re-post), or recorded and
          // written just before a crash. Either way it is done, and counted once.
          for (const { payment, recovered } of msg.recorded) {
            state.held.delete(payment.correlationId);
            if (!recovered) {
              state.accepted--;
              state.duplicates++;
            }
          }
          const byProcessor: Record<ProcessorName, PendingPayment[]> = { default: [], fallback: [] };
          for (const { payment, recovered } of msg.unrecorded) {
            if (!state.held.has(payment.correlationId)) continue; // purged meanwhile
            // A recovered payment already sent somewhere stays with that processor until it answers.
            if (recovered && payment.assignment) byProcessor[payment.assignment.processor].push(payment);
            else state.queue.push(payment);
          }
          sendTo(state, 'default', byProcessor.default);
          sendTo(state, 'fallback', byProcessor.fallback);
          route(state);
          break;
        }
        case 'settled':
          state.inFlight[msg.processor] -= msg.recorded.length + msg.returned.length + msg.dropped.length;
          state.probeOut[msg.processor] = false;
          write(state, msg);
          for (const p of msg.recorded) state.held.delete(p.correlationId);
          for (const id of msg.dropped) state.held.delete(id);
          // Unrecorded payments go back to the front: they are the oldest.
          // (One accepted before a purge was no longer held: the purge emptied `held`.)
          if (msg.returned.length > 0)
            state.queue = msg.returned.filter((p) => p.acceptedAt >= state.purgedAt).concat(state.queue);
          route(state);
          break;
        case 'health':
          tell(state.children.processors[msg.processor].ref, { type: 'health', health: msg.health });
          break;
        case 'tick':
          route(state);
          break;
        case 'flush': {
          const writers = state.children.writers;
          gather<boolean>(
            writers.length,
            (reply) => writers.forEach((w) => tell(w, { type: 'flush', replyTo: reply })),
            (oks) => msg.replyTo(oks.every(Boolean)),
          );
          break;
        }
        case 'held':
          msg.replyTo([...state.held.values()]);
          break;
        case 'purge':
          state.queue = [];
          state.held.clear();
          claims.clear();
          lookups.clear();
          options.onNotDurable?.(claims.weight);
          state.purgedAt = now();
          msg.replyTo();
          break;
        case 'inspect': {
          const t = now();
          const processors = Object.values(state.children.processors);
          const writers = state.children.writers;
          gather<ProcessorActorSnapshot>(
            processors.length,
            (reply) => processors.forEach((p) => tell(p.ref, { type: 'inspect', replyTo: reply })),
            (ps) =>
              gather<WriterSnapshot>(
                writers.length,
                (reply) => writers.forEach((w) => tell(w, { type: 'inspect', replyTo: reply })),
                (ws) =>
                  msg.replyTo({
                    name: 'supervisor',
                    mailbox: self.mailbox(),
                    waiting: state.queue.length,
                    claiming: claims.weight,
                    checking: lookups.weight + state.arriving,
                    oldestWaitingMs:
                      state.queue.length > 0 ? t - Math.min(...state.queue.slice(0, 1000).map((p) => p.acceptedAt)) : 0,
                    inFlight: { ...state.inFlight },
                    accepted: state.accepted,
                    duplicates: state.duplicates,
                    processors: ps.sort((a, b) => a.name.localeCompare(b.name)),
                    writers: ws.sort((a, b) => a.name.localeCompare(b.name)),
                  }),
              ),
          );
          break;
        }
        case 'stop':
          state.stopped = true;
          if (state.timer) clearTimeout(state.timer);
          claims.stop();
          lookups.stop();
          for (const p of Object.values(state.children.processors)) tell(p.ref, { type: 'stop-watching' });
          msg.replyTo();
          break;
        default:
          return assertNever(msg);
      }
      return state;
    },
  });
  shared.children = options.spawnChildren(self);
  return self;
}
