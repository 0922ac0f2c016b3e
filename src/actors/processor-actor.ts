// One actor per Payment Processor. It sends the payments the supervisor gives it,
// makes sure each is recorded by its processor exactly once, and reports back what
// was recorded and what came back unrecorded (safe to send elsewhere).
//
// Exactly-once: before a payment is sent, its assignment (processor, requestedAt) is
// written to Redis. When an answer is lost (time-out, broken connection), the payment
// is "pinned" to this processor: it is sent again with the same body until the
// processor answers 200 or 422 (both mean recorded), or, once no attempt can still be
// in the processor's hands, GET /payments/{id} says it is not there.
import type { ActorRef } from './actor-system';
import { spawnActor, tell } from './actor-system';
import { assignThenPay, pay, pin, retryPinned } from './processor-calls';
import { settleResults } from './processor-results';
import type { ProcessorContext, Result } from './processor-state';
import { ProcessorState } from './processor-state';
import type { ProcessorStatusSnapshot, SharedHealth, StatusOptions } from './processor-status';
import type { Logger } from '../log';
import { RepeatedWarning } from '../repeated-warning';
import type { ProcessorName, ProcessorPaymentBody, RecordedPayment } from '../payment';
import type { LookupResult, PaymentAttempt } from '../processor-client';
import type { PendingPayment } from '../store/pending-payments';

/** The part of ProcessorClient this actor needs. Its calls settle every outcome as a value; should one
 * reject all the same, the payment is treated as its outcome unknown (pinned here, never sent elsewhere). */
export interface PaymentGateway {
  pay(body: ProcessorPaymentBody): Promise<PaymentAttempt>;
  lookup(correlationId: string): Promise<LookupResult>;
}

/** The part of PendingPayments this actor needs. */
export interface AssignmentLedger {
  assign(payments: PendingPayment[]): Promise<PendingPayment[]>;
  /** Which of these ids are still this instance's (none taken over by another after a missed heartbeat). */
  stillOwned(correlationIds: string[]): Promise<Set<string>>;
}

export interface SettledReport {
  type: 'settled';
  processor: ProcessorName;
  recorded: RecordedPayment[];
  /** Definitely not recorded by this processor: may go anywhere. */
  returned: PendingPayment[];
  /** Taken over by another instance: no longer ours to count (their ids). */
  dropped: string[];
}

export interface ProcessorActorSnapshot extends ProcessorStatusSnapshot {
  name: string;
  processor: ProcessorName;
  inFlight: number;
  pinned: number;
  mailbox: number;
  recordedTotal: number;
  returnedTotal: number;
}

export type ProcessorMsg =
  /**
   * `assigned`: their assignment to this processor was made durable with their claim and they were
   * never sent, so they go out at once. Otherwise a payment with an assignment was recovered (it may
   * have reached the processor: it is pinned here), and one without is assigned first.
   */
  | { type: 'send'; payments: PendingPayment[]; assigned?: boolean }
  | { type: 'results'; results: Result[] }
  | { type: 'health'; health: SharedHealth }
  | { type: 'watch' }
  /** Settles every answer that reached us so far now, reports it, then calls replyTo (a summary's barrier). */
  | { type: 'drain'; replyTo: () => void }
  | { type: 'inspect'; replyTo: (snapshot: ProcessorActorSnapshot) => void }
  | { type: 'stop-watching' };

export interface ProcessorActorOptions extends StatusOptions {
  processor: ProcessorName;
  gateway: PaymentGateway;
  ledger: AssignmentLedger;
  /** Receives every report; normally the supervisor. */
  report: (report: SettledReport) => void;
  /** After a lost answer, how long until no attempt can still be in the processor's hands. */
  settleMs: number;
  /** How often a pinned payment is tried again. */
  pinnedRetryMs: number;
  /**
   * How often pinned payments are looked at, at the least; in-flight ages are looked at when the oldest
   * would become late, however soon that is.
   */
  watchMs: number;
  /** A failure that repeats is logged at most once per this many ms. */
  logRepeatMs?: number;
  log: Logger;
  now?: () => number;
}

/** What the supervisor may read synchronously when it routes: the processor's availability. */
export interface ProcessorGauge {
  allowance(): number;
  unavailable(): 'failing' | 'slow' | 'slowing' | null;
}

export interface ProcessorActor {
  ref: ActorRef<ProcessorMsg>;
  gauge: ProcessorGauge;
}

// Each message has one handler; the switch in spawnProcessorActor only dispatches.

function onSend(state: ProcessorState, ctx: ProcessorContext, msg: Extract<ProcessorMsg, { type: 'send' }>): void {
  const t = ctx.now();
  for (const p of msg.payments) state.inFlight.set(p.correlationId, t);
  if (msg.assigned === true) {
    for (const p of msg.payments) pay(state, ctx, p, false);
  } else {
    for (const p of msg.payments) {
      // A payment recovered with an assignment here may have reached the processor already.
      if (p.assignment) pin(state, ctx, p, t);
      else p.assignment = { processor: ctx.options.processor, requestedAt: new Date(t).toISOString() };
    }
    assignThenPay(
      state,
      ctx,
      msg.payments.filter((p) => !state.pinned.has(p.correlationId)),
    );
  }
  watchLater(state, ctx);
}

/**
 * When the oldest payment unanswered (pinned ones excepted) was sent, or null. Payments sent before the
 * breaker last closed (slow probes) say nothing about now.
 */
function oldestSentAt(state: ProcessorState): number | null {
  const since = state.status.breaker.closedAt;
  for (const [id, sentAt] of state.inFlight) {
    if (state.pinned.has(id) || sentAt < since) continue;
    return sentAt;
  }
  return null;
}

/** Answers that reached us but wait for their 'results' message are settled now. */
function settleArrived(state: ProcessorState, ctx: ProcessorContext): void {
  if (state.results.length === 0) return;
  const results = state.results;
  state.results = [];
  settleResults(state, ctx, results);
}

/** Ages of what is in flight feed the status; pinned payments due again are tried or looked up. */
function onWatch(state: ProcessorState, ctx: ProcessorContext): void {
  // An answer read in this turn, before this message, is not a payment still unanswered.
  settleArrived(state, ctx);
  const t = ctx.now();
  // The oldest payment still unanswered bounds the processor's delay from below.
  const oldest = oldestSentAt(state);
  if (oldest !== null) state.status.onInFlightAge(t - oldest);
  const due = [...state.pinned.values()].filter((p) => !p.busy && t >= p.nextTryAt);
  for (const pinned of due) pinned.busy = true;
  if (due.length > 0) retryPinned(state, ctx, due);
  watchLater(state, ctx);
}

function onDrain(state: ProcessorState, ctx: ProcessorContext, msg: Extract<ProcessorMsg, { type: 'drain' }>) {
  settleArrived(state, ctx);
  msg.replyTo();
}

/**
 * The next watch, pending only while payments are in flight (an idle actor wakes for nothing): when the
 * oldest payment would become late, so a slowdown is seen as soon as it shows, or after watchMs at most.
 */
function watchLater(state: ProcessorState, ctx: ProcessorContext): void {
  if (!state.watching || state.inFlight.size === 0) return;
  const t = ctx.now();
  const oldest = state.status.breaker.state === 'closed' ? oldestSentAt(state) : null;
  const lateAt = oldest === null ? Infinity : oldest + state.status.slowAfterMs();
  const at = Math.max(t + 1, Math.min(t + ctx.options.watchMs, Math.ceil(lateAt)));
  if (state.watchTimer) {
    if (state.watchAt <= at) return;
    clearTimeout(state.watchTimer);
  }
  state.watchAt = at;
  state.watchTimer = setTimeout(() => {
    state.watchTimer = null;
    tell(ctx.self, { type: 'watch' });
  }, at - t);
  state.watchTimer.unref();
}

function onInspect(state: ProcessorState, ctx: ProcessorContext, msg: Extract<ProcessorMsg, { type: 'inspect' }>) {
  const processor = ctx.options.processor;
  msg.replyTo({
    name: `processor-${processor}`,
    processor,
    ...state.status.snapshot(),
    inFlight: state.inFlight.size,
    pinned: state.pinned.size,
    mailbox: ctx.self.mailbox(),
    recordedTotal: state.recordedTotal,
    returnedTotal: state.returnedTotal,
  });
}

function onStopWatching(state: ProcessorState): void {
  state.watching = false;
  if (state.watchTimer) clearTimeout(state.watchTimer);
  state.watchTimer = null;
}

export function spawnProcessorActor(parent: unknown, options: ProcessorActorOptions): ProcessorActor {
  const now = options.now ?? Date.now;
  const { processor, log } = options;
  const assignWarning = new RepeatedWarning(log, 'assignment-failed', options.logRepeatMs ?? 10_000, now);
  // One state object for the actor's whole life (its crash policy is resume), shared read-only with the supervisor.
  const shared = new ProcessorState(options);
  const ctx = { options, now, assignWarning } as { self: ActorRef<ProcessorMsg> } & Omit<ProcessorContext, 'self'>;
  ctx.self = spawnActor<ProcessorState, ProcessorMsg>(parent, {
    name: `processor-${processor}`,
    initialState: () => shared,
    onCrash: 'resume',
    onError: (err, msg) => log.error('actor-crashed', { actor: `processor-${processor}`, message: msg.type, err }),
    handle: (state, msg) => {
      switch (msg.type) {
        case 'send':
          onSend(state, ctx, msg);
          break;
        case 'results':
          settleResults(state, ctx, msg.results);
          break;
        case 'health':
          return (state.status.onHealth(msg.health), state);
        case 'watch':
          onWatch(state, ctx);
          break;
        case 'drain':
          onDrain(state, ctx, msg);
          break;
        case 'inspect':
          onInspect(state, ctx, msg);
          break;
        case 'stop-watching':
          onStopWatching(state);
          break;
        default:
          return assertNever(msg);
      }
      return state;
    },
  });
  return { ref: ctx.self, gauge: shared.status };
}

export function assertNever(x: never): never {
  throw new Error(`unexpected message: ${JSON.stringify(x)}`);
}
