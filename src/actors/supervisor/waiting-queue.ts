// The supervisor's waiting payments, oldest first. Routing only ever looks at the front: it takes as
// many as the processors may take now and puts back, in front, those the plan leaves waiting. Each of
// those costs what it moves, not the length of the queue, so a backlog of tens of thousands costs a
// tick no more than a short one. Bounded by MAX_HELD: only held payments wait here.
import type { PendingPayment } from '../../domain/pending-payment';

/** Slots freed at the front are dropped once they are this many and half the array. */
const COMPACT_AFTER = 1024;

export class WaitingQueue {
  private items: PendingPayment[] = [];
  /** The index of the oldest waiting payment in `items`. */
  private head = 0;

  static of(payments: PendingPayment[]): WaitingQueue {
    const q = new WaitingQueue();
    q.push(payments);
    return q;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds payments behind every other. */
  push(payments: PendingPayment[]): void {
    for (const p of payments) this.items.push(p);
  }

  /** Puts payments back in front, in their order (those routing took and left waiting, or a processor returned). */
  putBack(payments: PendingPayment[]): void {
    if (payments.length === 0) return;
    if (payments.length <= this.head) {
      this.head -= payments.length;
      for (let i = 0; i < payments.length; i++) this.items[this.head + i] = payments[i];
      return;
    }
    this.items = payments.concat(this.items.slice(this.head));
    this.head = 0;
  }

  /** Removes and returns the `n` oldest. */
  take(n: number): PendingPayment[] {
    const count = Math.max(0, Math.min(n, this.length));
    const taken = this.items.slice(this.head, this.head + count);
    this.head += count;
    this.compact();
    return taken;
  }

  /** When the oldest of the first `limit` was accepted (undefined when none waits). */
  oldestAcceptedAt(limit: number): number | undefined {
    let oldest: number | undefined;
    const end = Math.min(this.items.length, this.head + limit);
    for (let i = this.head; i < end; i++) oldest = Math.min(oldest ?? Infinity, this.items[i].acceptedAt);
    return oldest;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  /** Every waiting payment, oldest first (a copy). */
  toArray(): PendingPayment[] {
    return this.items.slice(this.head);
  }

  private compact(): void {
    if (this.head === this.items.length) return this.clear();
    if (this.head < COMPACT_AFTER || this.head < this.items.length / 2) return;
    this.items = this.items.slice(this.head);
    this.head = 0;
  }
}
