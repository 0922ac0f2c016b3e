// An actor's timers, by key (Akka's Behaviors.withTimers): starting a key again replaces its timer, and every
// timer is cancelled when the actor's system stops. A timer only tells the actor a message; the handler acts.
import { tell, type ActorRef } from './actor-ref';

export class ActorTimers<M> {
  /** Bounded by the keys the actor uses (a handful, named in its protocol). */
  private readonly running = new Map<string, { timer: NodeJS.Timeout; at: number }>();

  constructor(
    private readonly self: ActorRef<M>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Tells `msg` to the actor once, `delayMs` from now, in place of a pending timer of the same key. */
  startSingle(key: string, msg: M, delayMs: number): void {
    this.cancel(key);
    const timer = setTimeout(() => {
      this.running.delete(key);
      tell(this.self, msg);
    }, delayMs);
    // A timer alone keeps no process alive: the servers and connections do.
    timer.unref();
    this.running.set(key, { timer, at: this.now() + delayMs });
  }

  isActive(key: string): boolean {
    return this.running.has(key);
  }

  /** Milliseconds until the timer `key` fires (undefined: none pending). */
  msUntil(key: string): number | undefined {
    const entry = this.running.get(key);
    return entry === undefined ? undefined : entry.at - this.now();
  }

  cancel(key: string): void {
    const entry = this.running.get(key);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.running.delete(key);
  }

  cancelAll(): void {
    for (const { timer } of this.running.values()) clearTimeout(timer);
    this.running.clear();
  }
}
