// Outcomes of async calls, told to their actor as one message per turn of the event loop. A processor actor has
// hundreds of calls in flight: their answers settle in one mailbox turn instead of one turn each.
import { tell, type ActorRef } from './actor-ref';

export class OutcomeBatch<T, M> {
  /** Outcomes settled since the last message: at most the calls in flight. */
  private arrived: T[] = [];
  private scheduled = false;

  constructor(
    private readonly self: ActorRef<M>,
    private readonly toMsg: (outcomes: T[]) => M,
  ) {}

  /** When `work` settles, its outcome joins this turn's message. */
  pipe<V>(work: Promise<V>, done: (value: V) => T, failed: (err: unknown) => T): void {
    work.then(
      (value) => this.add(done(value)),
      (err: unknown) => this.add(failed(err)),
    );
  }

  /**
   * The outcomes that settled but whose message is not handled yet, taken now (their message then carries
   * none): a handler that must see every answer that reached the actor before it (a summary's barrier) calls it.
   */
  takeArrived(): T[] {
    const arrived = this.arrived;
    this.arrived = [];
    return arrived;
  }

  private add(outcome: T): void {
    this.arrived.push(outcome);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const outcomes = this.takeArrived();
      if (outcomes.length > 0) tell(this.self, this.toMsg(outcomes));
    });
  }
}
