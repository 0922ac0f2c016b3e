// One handler per supervisor message. Each takes the state, the message and the context
// (supervisor-state.ts), does one thing, and is dispatched by spawnSupervisor's switch.
import type { SupervisorInternalMsg, SupervisorMsg, SupervisorSnapshot } from './protocol';
import { TICK_TIMER } from './protocol';
import { preassign, route, sendTo } from './routing';
import { answer } from './stages';
import type { LookupAnswer } from './protocol';
import type { SupervisorContext, SupervisorState } from './state';
import { tell } from '../kit/actor';
import { gather } from '../kit/gather';
import type { ProcessorActorSnapshot, SettledReport } from '../processor/protocol';
import type { WriterSnapshot } from '../writer/protocol';
import type { ProcessorName } from '../../domain/payment';
import type { PendingPayment } from '../../domain/pending-payment';

type Msg<T extends (SupervisorMsg | SupervisorInternalMsg)['type']> = Extract<
  SupervisorMsg | SupervisorInternalMsg,
  { type: T }
>;

/** How long an inspection waits for each kind of child: a writer awaits Postgres for up to its query time-out. */
const INSPECT_WITHIN_MS = 300;

export function onAccepted(state: SupervisorState, ctx: SupervisorContext, msg: Msg<'accepted'>): void {
  preassign(state, ctx, msg.payments);
  ctx.claims.push([{ payments: msg.payments, batch: msg.batch, answered: false }]);
  ctx.options.onNotDurable?.(ctx.claims.weight);
}

/** A claim landed: the fresh payments among the `offered` (the rest were duplicates) go to the look-up. */
export function onClaimed(
  state: SupervisorState,
  ctx: SupervisorContext,
  msg: { payments: PendingPayment[]; offered: number },
): void {
  state.accepted += msg.payments.length;
  state.duplicates += msg.offered - msg.payments.length;
  // A claim that was on its way to Redis when a purge came: its payments were purged with the rest.
  const kept = msg.payments.filter((p) => p.acceptedAt >= state.purgedAt);
  for (const p of kept) state.held.set(p.correlationId, p);
  ctx.lookups.push(kept.map((payment) => ({ payment, recovered: false })));
}

export function onRecovered(state: SupervisorState, ctx: SupervisorContext, msg: Msg<'recovered'>): void {
  // One held already is on its way here (told again after a lost answer in Redis): it is not taken twice.
  const fresh = msg.payments.filter((p) => !state.held.has(p.correlationId));
  if (fresh.length === 0) return;
  ctx.options.log.info('payments-recovered', { count: fresh.length });
  for (const p of fresh) state.held.set(p.correlationId, p);
  ctx.lookups.push(fresh.map((payment) => ({ payment, recovered: true })));
}

export function onLookedUp(state: SupervisorState, ctx: SupervisorContext, msg: LookupAnswer): void {
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
  const waiting: PendingPayment[] = [];
  for (const { payment, recovered } of msg.unrecorded) {
    if (!state.held.has(payment.correlationId)) continue; // purged meanwhile
    // A recovered payment already sent somewhere stays with that processor until it answers.
    if (recovered && payment.assignment) byProcessor[payment.assignment.processor].push(payment);
    else waiting.push(payment);
  }
  state.queue.push(waiting);
  sendTo(state, ctx, 'default', byProcessor.default);
  sendTo(state, ctx, 'fallback', byProcessor.fallback);
  route(state, ctx);
}

/** Recorded payments go to the writers in turn. */
function write(state: SupervisorState, report: SettledReport, t: number): void {
  if (report.recorded.length === 0) return;
  for (const p of report.recorded) state.unwritten.set(p.correlationId, t);
  const writer = state.children.writers[state.nextWriter++ % state.children.writers.length];
  tell(writer, { type: 'write', payments: report.recorded });
}

export function onSettled(state: SupervisorState, ctx: SupervisorContext, msg: SettledReport): void {
  state.inFlight[msg.processor] -= msg.recorded.length + msg.returned.length + msg.dropped.length;
  state.probeOut[msg.processor] = false;
  // Recorded payments stay held until their writer has them in Postgres ('written').
  write(state, msg, ctx.now());
  for (const id of msg.dropped) state.held.delete(id);
  // Unrecorded payments go back to the front: they are the oldest.
  // (One accepted before a purge was no longer held: the purge emptied `held`.)
  state.queue.putBack(msg.returned.filter((p) => p.acceptedAt >= state.purgedAt));
  route(state, ctx);
}

export function onWritten(state: SupervisorState, msg: Msg<'written'>): void {
  for (const id of msg.correlationIds) {
    state.held.delete(id);
    state.unwritten.delete(id);
  }
}

export function onHealth(state: SupervisorState, msg: Msg<'health'>): void {
  tell(state.children.processors[msg.processor], { type: 'health', health: msg.health });
}

/** A processor actor says what may be routed to it now: what waits may go. */
export function onAvailability(state: SupervisorState, ctx: SupervisorContext, msg: Msg<'availability'>): void {
  state.availability[msg.processor] = msg.availability;
  route(state, ctx);
}

/** A stage's request answered, or its pause is over: the stage goes on (stages.ts settles what it answered). */
export function onStage(ctx: SupervisorContext, msg: Msg<'claim-answered' | 'lookup-answered' | 'stage-wake'>): void {
  if (msg.type === 'claim-answered') ctx.claims.answered(msg.outcome);
  else if (msg.type === 'lookup-answered') ctx.lookups.answered(msg.outcome);
  else if (msg.stage === 'claims') ctx.claims.wake();
  else ctx.lookups.wake();
}

/**
 * A summary is about to be read: every answer that reached a processor actor before now is reported
 * (its 'settled' comes into this mailbox before the reply does, so its rows reach the writers first),
 * then the writers flush. A summary counts what was answered before it was asked: that is all here.
 */
export function onFlush(state: SupervisorState, ctx: SupervisorContext, msg: Msg<'flush'>): void {
  const processors = Object.values(state.children.processors);
  gather<void>(
    processors.length,
    (reply) => processors.forEach((p) => tell(p, { type: 'drain', replyTo: () => reply(undefined) })),
    () => tell(ctx.actor.self, { type: 'flush-writers', replyTo: msg.replyTo }),
  );
}

export function onFlushWriters(state: SupervisorState, msg: Msg<'flush-writers'>): void {
  const writers = state.children.writers;
  gather<boolean>(
    writers.length,
    (reply) => writers.forEach((w) => tell(w, { type: 'flush', replyTo: reply })),
    (oks) => msg.replyTo(oks.every(Boolean)),
  );
}

export function onPurge(state: SupervisorState, ctx: SupervisorContext, msg: Msg<'purge'>): void {
  state.queue.clear();
  state.held.clear();
  state.unwritten.clear();
  // Batches whose claim never ran are purged unclaimed: their clients, waiting for it (ACK_WHEN_DURABLE), hear 503.
  answer(ctx.options, ctx.claims.clear(), false);
  ctx.lookups.clear();
  ctx.options.onNotDurable?.(ctx.claims.weight);
  state.purgedAt = ctx.now();
  msg.replyTo();
}

/** The supervisor's own figures, once its children's snapshots are in. */
function snapshotOf(
  state: SupervisorState,
  ctx: SupervisorContext,
  t: number,
  processors: ProcessorActorSnapshot[],
  writers: WriterSnapshot[],
): SupervisorSnapshot {
  return {
    name: 'supervisor',
    mailbox: ctx.actor.self.mailboxLength,
    waiting: state.queue.length,
    claiming: ctx.claims.weight,
    checking: ctx.lookups.weight,
    oldestWaitingMs: t - (state.queue.oldestAcceptedAt(1000) ?? t),
    held: state.held.size,
    oldestUnwrittenMs: t - (state.unwritten.values().next().value ?? t),
    unanswered:
      Object.keys(state.children.processors).length +
      state.children.writers.length -
      processors.length -
      writers.length,
    inFlight: { ...state.inFlight },
    accepted: state.accepted,
    duplicates: state.duplicates,
    processors: processors.sort((a, b) => a.name.localeCompare(b.name)),
    writers: writers.sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export function onInspect(state: SupervisorState, ctx: SupervisorContext, msg: Msg<'inspect'>): void {
  const t = ctx.now();
  const processors = Object.values(state.children.processors);
  const writers = state.children.writers;
  gather<ProcessorActorSnapshot>(
    processors.length,
    (reply) => processors.forEach((p) => tell(p, { type: 'inspect', replyTo: reply })),
    (ps) =>
      gather<WriterSnapshot>(
        writers.length,
        (reply) => writers.forEach((w) => tell(w, { type: 'inspect', replyTo: reply })),
        (ws) => msg.replyTo(snapshotOf(state, ctx, t, ps, ws)),
        INSPECT_WITHIN_MS,
      ),
    INSPECT_WITHIN_MS,
  );
}

export function onStop(state: SupervisorState, ctx: SupervisorContext, msg: Msg<'stop'>): void {
  state.stopped = true;
  ctx.actor.timers.cancel(TICK_TIMER);
  ctx.claims.stop();
  ctx.lookups.stop();
  for (const p of Object.values(state.children.processors)) tell(p, { type: 'stop-watching' });
  msg.replyTo();
}
