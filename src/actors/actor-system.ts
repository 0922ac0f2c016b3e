// A small typed layer over nact (untyped and unmaintained, see stack-facts.md).
// It names every actor, makes every actor state its crash policy, types each
// actor's messages, and counts mailbox lengths so the state can be inspected.
import * as nact from 'nact';

export type CrashPolicy = 'resume' | 'reset' | 'stop';

export interface ActorRef<M> {
  readonly name: string;
  /** Messages dispatched but not yet handled. */
  readonly mailbox: () => number;
  /** @internal the nact reference */
  readonly nactRef: unknown;
  readonly _msg?: M;
}

interface Counter {
  queued: number;
}

export type Handler<S, M> = (state: S, msg: M, self: ActorRef<M>) => S | Promise<S>;

export interface ActorSpec<S, M> {
  name: string;
  initialState: () => S;
  handle: Handler<S, M>;
  /** What happens when `handle` throws: resume keeps the state, reset starts from initialState, stop ends the actor. */
  onCrash: CrashPolicy;
  onError?: (err: unknown, msg: M) => void;
}

export type ParentRef = unknown;

export function startActorSystem(name: string): ParentRef {
  return nact.start({ name } as never);
}

export function stopActorSystem(system: ParentRef): void {
  nact.stop(system as never);
}

export function spawnActor<S, M>(parent: ParentRef, spec: ActorSpec<S, M>): ActorRef<M> {
  const counter: Counter = { queued: 0 };
  let self: ActorRef<M>;
  const nactRef = nact.spawn(
    parent as never,
    (state: S, msg: M) => {
      counter.queued--;
      return spec.handle(state, msg, self);
    },
    spec.name,
    {
      initialStateFunc: spec.initialState,
      onCrash: (msg: M, err: unknown, ctx: { resume: unknown; reset: unknown; stop: unknown }) => {
        spec.onError?.(err, msg);
        return ctx[spec.onCrash];
      },
    } as never,
  );
  self = { name: spec.name, mailbox: () => counter.queued, nactRef };
  (self as { counter?: Counter }).counter = counter;
  return self;
}

export function tell<M>(ref: ActorRef<M>, msg: M): void {
  const counter = (ref as { counter?: Counter }).counter;
  if (counter) counter.queued++;
  nact.dispatch(ref.nactRef as never, msg);
}
