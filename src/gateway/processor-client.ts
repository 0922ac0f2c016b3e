// Outbound HTTP to one Payment Processor, over an undici pool.
// Every answer is classified by what it tells us about the payment:
//   recorded     200: recorded as we sent it
//   duplicate    422: the processor already had this correlationId, as an earlier attempt (or another
//                instance, or another client) sent it: what it holds must be looked up
//   rejected     500 or another 4xx: the processor says it recorded nothing
//   unknown      time-out, broken connection or any other answer: it may have recorded it
import { Pool } from 'undici';
import { Deadlines, type Tracked } from './deadlines';
import type { HealthResult, LookupResult, PaymentAttempt, PaymentOutcome } from '../domain/processor-answers';
import type { ProcessorHealth, ProcessorPaymentBody } from '../domain/payment';

export interface ProcessorClientOptions {
  connections: number;
  timeoutMs: number;
}

export function classifyPaymentStatus(status: number): PaymentOutcome {
  if (status === 200 || status === 201 || status === 204) return 'recorded';
  if (status === 422) return 'duplicate';
  if (status === 500 || (status >= 400 && status < 500 && status !== 408 && status !== 429)) return 'rejected';
  return 'unknown';
}

// Errors raised before a connection existed: the request never reached the processor.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

export function neverReachedProcessor(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NOT_SENT_CODES.has(code);
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** One POST /payments, as an undici dispatch handler (its legacy interface, which undici calls directly). */
class PaymentCall {
  private readonly started = performance.now();
  private status: number | null = null;
  private abort: ((err: Error) => void) | null = null;
  private settled = false;
  private readonly deadline: Tracked;

  constructor(
    pool: Pool,
    private readonly deadlines: Deadlines,
    timeoutMs: number,
    body: ProcessorPaymentBody,
    private readonly resolve: (attempt: PaymentAttempt) => void,
  ) {
    this.deadline = deadlines.track(timeoutMs, this.late);
    pool.dispatch({ method: 'POST', path: '/payments', headers: JSON_HEADERS, body: JSON.stringify(body) }, this);
  }

  // Past its time the outcome is unknown (the processor may have recorded it); the connection is dropped.
  private readonly late = (): void => {
    this.settle('unknown', null);
    this.abort?.(new Error('processor call timed out'));
  };

  private settle(outcome: PaymentOutcome, status: number | null): void {
    if (this.settled) return;
    this.settled = true;
    this.deadlines.finish(this.deadline);
    this.resolve({ outcome, status, latencyMs: performance.now() - this.started });
  }

  onConnect(abort: (err: Error) => void): void {
    // A connection came with less time left than the time-outs' check interval: by the time an answer could
    // come, its time-out may be due. Given up now, so that it is not sent only to be lost to its time-out.
    if (!this.settled && this.deadlines.msLeft(this.deadline) < this.deadlines.checkEveryMs) this.late();
    // Given up while it waited for a connection: it must not go out after all.
    if (this.settled) abort(new Error('processor call timed out'));
    else this.abort = abort;
  }

  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }

  onData(): boolean {
    return true;
  }

  onComplete(): void {
    this.settle(classifyPaymentStatus(this.status ?? 0), this.status);
  }

  onError(err: Error): void {
    this.settle(neverReachedProcessor(err) ? 'rejected' : 'unknown', null);
  }
}

export class ProcessorClient {
  private readonly pool: Pool;
  // Checked every 20 ms: a call is given up at most that much after its time-out.
  private readonly deadlines = new Deadlines(20);

  constructor(
    readonly baseUrl: string,
    private readonly options: ProcessorClientOptions,
  ) {
    this.pool = new Pool(baseUrl, {
      connections: options.connections,
      pipelining: 1,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 30_000,
    });
  }

  /**
   * POST /payments. The hot path: a raw undici dispatch (no response stream, no promise per stage, no
   * AbortSignal), one object per call, settled exactly once by the answer, an error or the time-out.
   */
  pay(body: ProcessorPaymentBody): Promise<PaymentAttempt> {
    return new Promise((resolve) => new PaymentCall(this.pool, this.deadlines, this.options.timeoutMs, body, resolve));
  }

  /** Asks the processor whether it recorded a payment (GET /payments/{id}). */
  async lookup(correlationId: string): Promise<LookupResult> {
    const deadline = this.deadlines.start(this.options.timeoutMs);
    try {
      const res = await this.pool.request({
        method: 'GET',
        path: `/payments/${encodeURIComponent(correlationId)}`,
        signal: deadline.signal,
      });
      if (res.statusCode === 404) {
        await res.body.dump();
        return { found: false };
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        return { found: 'unknown' };
      }
      const json = (await res.body.json()) as { amount?: unknown; requestedAt?: unknown };
      if (typeof json.amount !== 'number' || typeof json.requestedAt !== 'string') return { found: 'unknown' };
      return { found: true, amount: json.amount, requestedAt: json.requestedAt };
    } catch {
      return { found: 'unknown' };
    } finally {
      this.deadlines.finish(deadline);
    }
  }

  async health(): Promise<HealthResult> {
    const deadline = this.deadlines.start(this.options.timeoutMs);
    try {
      const res = await this.pool.request({ method: 'GET', path: '/payments/service-health', signal: deadline.signal });
      if (res.statusCode === 429) {
        await res.body.dump();
        return { kind: 'rate-limited' };
      }
      const json = (await res.body.json().catch(() => null)) as Partial<ProcessorHealth> | null;
      if (json && typeof json.failing === 'boolean' && typeof json.minResponseTime === 'number') {
        return { kind: 'health', health: { failing: json.failing, minResponseTime: json.minResponseTime } };
      }
      // 503 is the processor's own "failing" answer even when its body is unusable.
      if (res.statusCode === 503) return { kind: 'health', health: { failing: true, minResponseTime: 0 } };
      return { kind: 'unreachable' };
    } catch {
      return { kind: 'unreachable' };
    } finally {
      this.deadlines.finish(deadline);
    }
  }

  /** Connections open to the processor now. */
  get openConnections(): number {
    return this.pool.stats.connected;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
