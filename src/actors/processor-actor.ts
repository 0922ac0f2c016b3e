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
import type { ProcessorStatusSnapshot, SharedHealth, StatusOptions } from './processor-status';
import { ProcessorStatus } from './processor-status';
import type { Logger } from '../log';
import { RepeatedWarning } from '../repeated-warning';
import type { ProcessorName, ProcessorPaymentBody, RecordedPayment } from '../payment';
import { centsToAmount } from '../payment';
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

type Result =
  | { kind: 'paid'; payment: PendingPayment; attempt: PaymentAttempt; pinned: boolean }
  | { kind: 'looked-up'; payment: PendingPayment; lookup: LookupResult }
  | { kind: 'not-assigned'; payments: PendingPayment[]; owned: boolean };

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
  /** How often in-flight ages and pinned payments are looked at. */
  watchMs: number;
  /** A failure that repeats is logged at most once per this many ms. */
  logRepeatMs?: number;
  log: Logger;
  now?: () => number;
}

interface Pinned {
  payment: PendingPayment;
  ambiguousSince: number;
  nextTryAt: number;
  busy: boolean;
}

class ProcessorState {
  readonly status: ProcessorStatus;
  /** correlationId -> time sent, in send order (the first is the oldest). */
  readonly inFlight = new Map<string, number>();
  readonly pinned = new Map<string, Pinned>();
  recordedTotal = 0;
  returnedTotal = 0;
  results: Result[] = [];
  resultsScheduled = false;
  /** The next look at ages and pinned payments, pending only while payments are in flight. */
  watchTimer: NodeJS.Timeout | null = null;
  watching = true;

  constructor(options: ProcessorActorOptions) {
    this.status = new ProcessorStatus(options, options.now);
  }
}

function bodyOf(payment: PendingPayment): ProcessorPaymentBody {
  const a = payment.assignment!;
  return {
    correlationId: payment.correlationId,
    amount: centsToAmount(payment.amountCents),
    requestedAt: a.requestedAt,
  };
}

/** A gateway call that rejected: its outcome is unknown (the processor may have recorded it). */
const UNKNOWN_ATTEMPT: PaymentAttempt = { outcome: 'unknown', status: null, latencyMs: 0 };

function recordedOf(payment: PendingPayment, processor: ProcessorName, requestedAt?: string): RecordedPayment {
  return {
    correlationId: payment.correlationId,
    amountCents: payment.amountCents,
    requestedAt: requestedAt ?? payment.assignment!.requestedAt,
    processor,
  };
}

/** What the supervisor may read synchronously when it routes: the processor's availability. */
export interface ProcessorGauge {
  allowance(): number;
  unavailable(): 'failing' | 'slow' | null;
}

export interface ProcessorActor {
  ref: ActorRef<ProcessorMsg>;
  gauge: ProcessorGauge;
}

export function spawnProcessorActor(parent: unknown, options: ProcessorActorOptions): ProcessorActor {
  const now = options.now ?? Date.now;
  const { processor, gateway, ledger, log } = options;
  const assignWarning = new RepeatedWarning(log, 'assignment-failed', options.logRepeatMs ?? 10_000, now);
  let self: ActorRef<ProcessorMsg>;

  // Answers arrive one by one; they go back into the mailbox as one message per turn.
  const post = (state: ProcessorState, result: Result) => {
    state.results.push(result);
    if (state.resultsScheduled) return;
    state.resultsScheduled = true;
    setImmediate(() => {
      state.resultsScheduled = false;
      const results = state.results;
      state.results = [];
      tell(self, { type: 'results', results });
    });
  };

  const pay = (state: ProcessorState, payment: PendingPayment, pinned: boolean) => {
    state.status.onSend();
    gateway.pay(bodyOf(payment)).then(
      (attempt) => post(state, { kind: 'paid', payment, attempt, pinned }),
      // No clock read on every send for this: nothing reads the latency of an unknown outcome.
      () => post(state, { kind: 'paid', payment, attempt: UNKNOWN_ATTEMPT, pinned }),
    );
  };

  const pin = (state: ProcessorState, payment: PendingPayment, ambiguousSince: number) => {
    state.pinned.set(payment.correlationId, {
      payment,
      ambiguousSince,
      nextTryAt: now() + options.pinnedRetryMs,
      busy: false,
    });
  };

  const send = (state: ProcessorState, payments: PendingPayment[], assigned: boolean) => {
    const t = now();
    if (assigned) {
      for (const p of payments) {
        state.inFlight.set(p.correlationId, t);
        pay(state, p, false);
      }
      return;
    }
    for (const p of payments) {
      state.inFlight.set(p.correlationId, t);
      // A payment recovered with an assignment here may have reached the processor already.
      if (p.assignment) pin(state, p, t);
      else p.assignment = { processor, requestedAt: new Date(t).toISOString() };
    }
    const fresh = payments.filter((p) => !state.pinned.has(p.correlationId));
    ledger.assign(fresh).then(
      (owned) => {
        assignWarning.recovered({ processor });
        const ownedIds = new Set(owned.map((p) => p.correlationId));
        const lost = fresh.filter((p) => !ownedIds.has(p.correlationId));
        if (lost.length > 0) post(state, { kind: 'not-assigned', payments: lost, owned: false });
        for (const p of owned) pay(state, p, false);
      },
      (err) => {
        // Redis is unreachable: nothing is sent unless its assignment is durable. Hand them
        // back after a pause, so a Redis outage does not turn into a busy loop.
        assignWarning.failed({ processor, count: fresh.length, err });
        setTimeout(
          () => post(state, { kind: 'not-assigned', payments: fresh, owned: true }),
          options.pinnedRetryMs / 5,
        );
      },
    );
  };

  const handleResults = (state: ProcessorState, results: Result[]) => {
    const report: SettledReport = { type: 'settled', processor, recorded: [], returned: [], dropped: [] };
    const done = (p: PendingPayment) => {
      state.inFlight.delete(p.correlationId);
      state.pinned.delete(p.correlationId);
    };
    // Not recorded here: it may go anywhere, with a new requestedAt.
    const giveBack = (p: PendingPayment) => {
      done(p);
      p.assignment = undefined;
      report.returned.push(p);
    };
    for (const r of results) {
      switch (r.kind) {
        case 'not-assigned':
          for (const p of r.payments) {
            if (r.owned) giveBack(p);
            else {
              done(p);
              report.dropped.push(p.correlationId);
            }
          }
          break;
        case 'paid': {
          const { payment, attempt } = r;
          state.status.onAttempt(attempt.outcome, attempt.latencyMs);
          const pinned = state.pinned.get(payment.correlationId);
          if (pinned) pinned.busy = false;
          if (attempt.outcome === 'recorded') {
            done(payment);
            report.recorded.push(recordedOf(payment, processor));
          } else if (attempt.outcome === 'unknown') {
            log.debug('payment-outcome-unknown', {
              processor,
              correlationId: payment.correlationId,
              status: attempt.status,
            });
            if (pinned) {
              pinned.ambiguousSince = now();
              pinned.nextTryAt = now() + options.pinnedRetryMs;
            } else pin(state, payment, now());
          } else if (pinned) {
            // Rejected now, but an earlier lost attempt may still be recorded: keep it here.
            pinned.nextTryAt = now() + options.pinnedRetryMs;
          } else giveBack(payment);
          break;
        }
        case 'looked-up': {
          const pinned = state.pinned.get(r.payment.correlationId);
          if (pinned) pinned.busy = false;
          if (r.lookup.found === true) {
            done(r.payment);
            report.recorded.push(recordedOf(r.payment, processor, new Date(r.lookup.requestedAt).toISOString()));
          } else if (r.lookup.found === false) giveBack(r.payment);
          else if (pinned) pinned.nextTryAt = now() + options.pinnedRetryMs;
          break;
        }
      }
    }
    state.recordedTotal += report.recorded.length;
    state.returnedTotal += report.returned.length;
    if (report.recorded.length + report.returned.length + report.dropped.length > 0) options.report(report);
  };

  const watchLater = (state: ProcessorState) => {
    if (state.watchTimer || !state.watching || state.inFlight.size === 0) return;
    state.watchTimer = setTimeout(() => {
      state.watchTimer = null;
      tell(self, { type: 'watch' });
    }, options.watchMs);
    state.watchTimer.unref();
  };

  const watch = (state: ProcessorState) => {
    const t = now();
    // The oldest payment still unanswered (pinned ones excepted) bounds the processor's delay from below.
    // Payments sent before the breaker last closed (slow probes) say nothing about now.
    const since = state.status.breaker.closedAt;
    for (const [id, sentAt] of state.inFlight) {
      if (state.pinned.has(id) || sentAt < since) continue;
      state.status.onInFlightAge(t - sentAt);
      break;
    }
    for (const pinned of state.pinned.values()) {
      if (pinned.busy || t < pinned.nextTryAt) continue;
      pinned.busy = true;
      if (t - pinned.ambiguousSince >= options.settleMs) {
        const payment = pinned.payment;
        gateway.lookup(payment.correlationId).then(
          (lookup) => post(state, { kind: 'looked-up', payment, lookup }),
          () => post(state, { kind: 'looked-up', payment, lookup: { found: 'unknown' } }),
        );
      } else pay(state, pinned.payment, true);
    }
  };

  // One state object for the actor's whole life (its crash policy is resume), shared read-only with the supervisor.
  const shared = new ProcessorState(options);
  self = spawnActor<ProcessorState, ProcessorMsg>(parent, {
    name: `processor-${processor}`,
    initialState: () => shared,
    onCrash: 'resume',
    onError: (err, msg) => log.error('actor-crashed', { actor: `processor-${processor}`, message: msg.type, err }),
    handle: (state, msg) => {
      switch (msg.type) {
        case 'send':
          send(state, msg.payments, msg.assigned === true);
          watchLater(state);
          break;
        case 'results':
          handleResults(state, msg.results);
          break;
        case 'health':
          state.status.onHealth(msg.health);
          break;
        case 'watch':
          watch(state);
          watchLater(state);
          break;
        case 'inspect':
          msg.replyTo({
            name: `processor-${processor}`,
            processor,
            ...state.status.snapshot(),
            inFlight: state.inFlight.size,
            pinned: state.pinned.size,
            mailbox: self.mailbox(),
            recordedTotal: state.recordedTotal,
            returnedTotal: state.returnedTotal,
          });
          break;
        case 'stop-watching':
          state.watching = false;
          if (state.watchTimer) clearTimeout(state.watchTimer);
          state.watchTimer = null;
          break;
        default:
          return assertNever(msg);
      }
      return state;
    },
  });
  return { ref: self, gauge: shared.status };
}

export function assertNever(x: never): never {
  throw new Error(`unexpected message: ${JSON.stringify(x)}`);
}
