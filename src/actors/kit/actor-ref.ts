// An actor's address, the system it lives in, and tell: what every part of the kit (and every actor) needs,
// below spawn.
import * as nact from 'nact';

/** The address of an actor that takes messages of type M. */
export class ActorRef<M> {
  /** Messages told and not yet handled. */
  mailboxLength = 0;
  /** Only for the type checker: which messages this address takes. */
  declare readonly _takes?: (msg: M) => void;

  /** The nact reference (internal to the kit: set once, as the actor is spawned). */
  nactRef: unknown;

  constructor(
    readonly name: string,
    /** The system it was spawned in, whose stop cancels its timers. */
    readonly system: ActorSystem,
  ) {}
}

/** Where an actor is spawned: the system, or (by its address) another actor. */
export type ActorParent = ActorSystem | ActorRef<never>;

/** The root of a tree of actors; stopping it stops them all and cancels their timers. */
export class ActorSystem {
  /** The timers of the actors spawned in it (a fixed handful per instance), cancelled when it stops. */
  readonly timers = new Set<{ cancelAll(): void }>();
  constructor(readonly nactSystem: unknown) {}
}

export function tell<M>(ref: ActorRef<M>, msg: M): void {
  ref.mailboxLength++;
  nact.dispatch(ref.nactRef as never, msg);
}
