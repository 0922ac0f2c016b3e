// The processors' admin API, as the official test calls it (X-Rinha-Token).
import type { LateRecord } from '../simulator/payment-store';
import type { ProcessorCondition } from './scenario';
import type { TimedClient } from './timed-client';

export type ProcessorName = 'default' | 'fallback';

export interface AdminSummary {
  totalRequests: number;
  totalAmount: number;
  totalFee: number;
  feePerTransaction: number;
}

const EMPTY: AdminSummary = { totalRequests: 0, totalAmount: 0, totalFee: 0, feePerTransaction: 0 };

export class ProcessorsAdmin {
  constructor(
    private readonly client: TimedClient,
    private readonly urls: Record<ProcessorName, string>,
    private readonly token: string,
    private readonly timeoutMs = 1500,
  ) {}

  private headers(token = this.token) {
    return { 'x-rinha-token': token };
  }

  private async must(p: ProcessorName, what: string, status: number, expected: number): Promise<void> {
    if (status !== expected)
      throw new Error(`${what} on the ${p} processor (${this.urls[p]}) answered ${status}, expected ${expected}`);
  }

  /** As the official setup does: the initial token 123 sets the token of this run. */
  async setToken(p: ProcessorName, initialToken = '123'): Promise<void> {
    const r = await this.client.send(
      'admin',
      `${this.urls[p]}/admin/configurations/token`,
      'PUT',
      this.timeoutMs,
      JSON.stringify({ token: this.token }),
      this.headers(initialToken),
    );
    // A processor whose token was already changed refuses the initial one: try with ours.
    if (r.status === 401) {
      const again = await this.client.send(
        'admin',
        `${this.urls[p]}/admin/configurations/token`,
        'PUT',
        this.timeoutMs,
        JSON.stringify({ token: this.token }),
        this.headers(),
      );
      return this.must(p, 'PUT token', again.status, 204);
    }
    await this.must(p, 'PUT token', r.status, 204);
  }

  async purge(p: ProcessorName): Promise<void> {
    const r = await this.client.send(
      'admin',
      `${this.urls[p]}/admin/purge-payments`,
      'POST',
      this.timeoutMs,
      undefined,
      this.headers(),
    );
    await this.must(p, 'purge', r.status, 200);
  }

  async apply(p: ProcessorName, condition: ProcessorCondition): Promise<void> {
    const d = await this.client.send(
      'admin',
      `${this.urls[p]}/admin/configurations/delay`,
      'PUT',
      this.timeoutMs,
      JSON.stringify({ delay: condition.delay }),
      this.headers(),
    );
    await this.must(p, 'PUT delay', d.status, 200);
    const f = await this.client.send(
      'admin',
      `${this.urls[p]}/admin/configurations/failure`,
      'PUT',
      this.timeoutMs,
      JSON.stringify({ failure: condition.failure }),
      this.headers(),
    );
    await this.must(p, 'PUT failure', f.status, 200);
  }

  /** The summary for [from, to]; zeros when it does not answer 200 (as the official test does). */
  async summary(p: ProcessorName, from?: string, to?: string): Promise<AdminSummary> {
    const q = from && to ? `?from=${from}&to=${to}` : '';
    const r = await this.client.send(
      'admin',
      `${this.urls[p]}/admin/payments-summary${q}`,
      'GET',
      this.timeoutMs,
      undefined,
      this.headers(),
    );
    if (r.status !== 200) return EMPTY;
    try {
      return JSON.parse(r.body) as AdminSummary;
    } catch {
      return EMPTY;
    }
  }

  /**
   * Payments stored more than `afterMs` after their requestedAt: our simulator's own admin route (the official
   * processor has none: null then).
   */
  async late(p: ProcessorName, afterMs: number): Promise<{ payments: LateRecord[]; truncated: boolean } | null> {
    const r = await this.client.send(
      'admin',
      `${this.urls[p]}/admin/late-payments?afterMs=${afterMs}`,
      'GET',
      10_000,
      undefined,
      this.headers(),
    );
    if (r.status !== 200) return null;
    return JSON.parse(r.body) as { payments: LateRecord[]; truncated: boolean };
  }
}
