// A small typed layer over nact (untyped and unmaintained: docs/stack-facts.md). Every actor has a name, a crash
// policy, a public protocol (what others may tell it) and internal messages (what only it tells itself), and its
// handler gets a context with its own address, its timers and pipeToSelf. Handlers are the only place an actor's
// state changes.
import * as nact from 'nact';
import { ActorRef, ActorSystem, tell, type ActorParent } from './actor-ref';
import { OutcomeBatch } from './outcome-batch';
import { ActorTimers } from './timers';

export { ActorRef, ActorSystem, tell, type ActorParent };

export type CrashPolicy = 'resume' | 'reset' | 'stop';

/** What a handler may use besides its state and message. */
export interface ActorContext<M> {
  readonly self: ActorRef<M>;
  readonly timers: ActorTimers<M>;
  /**
   * Runs nothing itself: when `work` settles, `done(value)` or `failed(err)` is told to this actor as a message.
   * The outcome of an async call changes state only in the handler of that message.
   */
  pipeToSelf<T>(work: Promise<T>, done: (value: T) => M, failed: (err: unknown) => M): void;
  /**
   * Outcomes of many calls that settle in one turn of the event loop, told to this actor as one message
   * (`toMsg(outcomes)`): under load, one mailbox turn settles a batch of answers.
   */
  outcomeBatch<T>(toMsg: (outcomes: T[]) => M): OutcomeBatch<T, M>;
}

export interface ActorSpec<S, M> {
  name: string;
  /** The state at the start, and again after a crash under the 'reset' policy. */
  initialState: (ctx: ActorContext<M>) => S;
  handle: (state: S, msg: M, ctx: ActorContext<M>) => S;
  /**
   * Runs once, as soon as the actor exists and before its first message (Akka's Behaviors.setup): where it
   * spawns its children, which need its address. It may change the state it is given.
   */
  setup?: (state: S, ctx: ActorContext<M>) => void;
  /** What happens when `handle` throws: resume keeps the state, reset starts from initialState, stop ends the actor. */
  onCrash: CrashPolicy;
  onError?: (err: unknown, msg: M) => void;
}

export function startActorSystem(name: string): ActorSystem {
  return new ActorSystem(nact.start({ name } as never));
}

/** Stops every actor of the system: their timers are cancelled, and no message is handled any more. */
export function stopActorSystem(system: ActorSystem): void {
  for (const timers of system.timers) timers.cancelAll();
  system.timers.clear();
  nact.stop(system.nactSystem as never);
}

/**
 * Spawns an actor that takes `Public | Internal` messages and returns its address for `Public` ones only: the
 * internal messages (ticks, piped outcomes) are told by the actor itself, through its context.
 */
export function spawn<S, Public, Internal = never>(
  parent: ActorParent,
  spec: ActorSpec<S, Public | Internal>,
): ActorRef<Public> {
  type M = Public | Internal;
  const system = parent instanceof ActorSystem ? parent : parent.system;
  const self = new ActorRef<M>(spec.name, system);
  // The context exists before the actor: nact asks for the initial state as it spawns it.
  const ctx = contextOf(self);
  let initial: S | undefined;
  self.nactRef = nact.spawn(
    (parent instanceof ActorSystem ? parent.nactSystem : parent.nactRef) as never,
    (state: S, msg: M) => {
      self.mailboxLength--;
      return spec.handle(state, msg, ctx);
    },
    spec.name,
    {
      initialStateFunc: () => (initial = spec.initialState(ctx)),
      onCrash: (msg: M, err: unknown, c: { resume: unknown; reset: unknown; stop: unknown }) => {
        spec.onError?.(err, msg);
        if (spec.onCrash === 'stop') ctx.timers.cancelAll();
        return c[spec.onCrash];
      },
    } as never,
  );
  system.timers.add(ctx.timers);
  if (initial !== undefined) spec.setup?.(initial, ctx);
  return self;
}

function contextOf<M>(self: ActorRef<M>): ActorContext<M> {
  return {
    self,
    timers: new ActorTimers(self),
    pipeToSelf: (work, done, failed) =>
      void work.then(
        (value) => tell(self, done(value)),
        (err: unknown) => tell(self, failed(err)),
      ),
    outcomeBatch: (toMsg) => new OutcomeBatch(self, toMsg),
  };
}
