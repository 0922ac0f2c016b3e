// Whether this instance may answer new payments 202. Not while Redis refuses claims (full,
// down, read-only): a 202 then would be a promise the instance cannot keep, so clients get
// 503 and retry, from the moment the instance knows. Nor while more acknowledged payments
// wait to become durable than MAX_NOT_DURABLE, nor while it holds MAX_HELD payments not yet
// written (processors or Postgres not keeping up): those two bound what it holds in memory,
// whatever Redis could hold. While Redis refuses, a probe write every retry finds out when it
// takes writes again.
export type RefusalReason = 'full' | 'down' | 'read-only' | 'unreplicated' | 'backlog' | 'held';

/** Once refused for MAX_HELD, payments are welcome again below this share of it (no flapping at the bound). */
const HELD_REOPEN_SHARE = 0.9;

/** Why Redis refused a write, from its error; null when it was not a refusal of the store (a lost dedupe memory). */
export function refusalOf(err: unknown): Exclude<RefusalReason, 'backlog' | 'held'> | null {
  const text = `${(err as Error)?.name ?? ''} ${(err as Error)?.message ?? String(err)}`;
  if (/DedupeLostError|\bEPOCH\b/.test(text)) return null;
  if (/\bOOM\b/.test(text)) return 'full';
  if (/\bREADONLY\b/.test(text)) return 'read-only';
  if (/\bUNREPLICATED\b/.test(text)) return 'unreplicated';
  return 'down';
}

export interface IntakeGateOptions {
  /** A small write to Redis: resolves once Redis takes writes again. */
  probe(): Promise<void>;
  probeMs: number;
  maxNotDurable: number;
  /** Most payments held (claimed or taken over, not yet written): MAX_HELD. */
  maxHeld: number;
  /** Called on every change: the reason new payments are refused, or null when they are welcome again. */
  onChange(reason: RefusalReason | null): void;
}

export class IntakeGate {
  private storeRefusal: Exclude<RefusalReason, 'backlog' | 'held'> | null = null;
  private backlog = false;
  private heldCount = 0;
  private heldOver = false;
  private reported: RefusalReason | null = null;
  private probing: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly options: IntakeGateOptions) {}

  /** The reason new payments are refused now, or null. */
  get refusal(): RefusalReason | null {
    return this.storeRefusal ?? (this.backlog ? 'backlog' : this.heldOver ? 'held' : null);
  }

  /** How many more payments this instance may take over from dead ones now (MAX_HELD less what it holds). */
  get room(): number {
    return Math.max(0, this.options.maxHeld - this.heldCount);
  }

  /** How many payments the supervisor holds. */
  held(count: number): void {
    this.heldCount = count;
    const over = this.heldOver ? count >= this.options.maxHeld * HELD_REOPEN_SHARE : count >= this.options.maxHeld;
    if (over === this.heldOver) return;
    this.heldOver = over;
    this.report();
  }

  /** A write to Redis failed (a claim, or the connection closed). */
  writeFailed(err: unknown): void {
    const reason = refusalOf(err);
    if (reason === null) return;
    this.storeRefusal = reason;
    this.report();
    this.probeLater();
  }

  /** A write to Redis landed. */
  writeLanded(): void {
    if (this.storeRefusal === null) return;
    this.storeRefusal = null;
    this.report();
  }

  /** How many acknowledged payments are not durable yet. */
  notDurable(count: number): void {
    const over = count >= this.options.maxNotDurable;
    if (over === this.backlog) return;
    this.backlog = over;
    this.report();
  }

  stop(): void {
    this.stopped = true;
    if (this.probing) clearTimeout(this.probing);
  }

  private report(): void {
    const now = this.refusal;
    if (now === this.reported) return;
    this.reported = now;
    this.options.onChange(now);
  }

  private probeLater(): void {
    if (this.probing || this.stopped) return;
    this.probing = setTimeout(() => {
      this.probing = null;
      if (this.storeRefusal === null || this.stopped) return;
      this.options.probe().then(
        () => this.writeLanded(),
        (err: unknown) => this.writeFailed(err),
      );
    }, this.options.probeMs);
    this.probing.unref();
  }
}
