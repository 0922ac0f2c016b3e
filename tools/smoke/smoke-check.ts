// The first thing to run against a deployment just brought up: health, one payment, the summary,
// 20 payments at once, amounts of several shapes, and (given the processors' admin URLs) our
// summary against theirs to the cent. It purges nothing, so it may run against a live deployment.
import { stepReport, verdict } from '../kit/steps';
import { randomUUID } from 'node:crypto';
import type { PaymentsSummary, ProcessorName } from '../../src/domain/payment';
import { PROCESSOR_NAMES } from '../../src/domain/payment';
import { compareSummaries } from './summaries';

export interface SmokeCheckOptions {
  /** The deployment's front door, e.g. http://127.0.0.1:9999. */
  url: string;
  /** The processors' base URLs, to compare summaries with theirs (GET /admin/payments-summary). */
  processors?: Record<ProcessorName, string>;
  /** The processors' admin token (X-Rinha-Token). */
  processorsToken: string;
  /** Most time one request may take. */
  requestTimeoutMs: number;
  /** Most time the posted payments may take to show in the summary. */
  recordTimeoutMs: number;
}

export const DEFAULT_SMOKE_OPTIONS: SmokeCheckOptions = {
  url: 'http://127.0.0.1:9999',
  processorsToken: '123',
  requestTimeoutMs: 5000,
  recordTimeoutMs: 15_000,
};

export interface SmokeStep {
  name: string;
  ok: boolean;
  detail: string;
}

/** Amounts whose cents are easy to get wrong in floating point, and the contract's largest kind. */
export const SMOKE_AMOUNTS = [1, 0.01, 19.9, 9999.99];
const BURST = 20;

class StepFailed extends Error {}

interface Answer {
  status: number;
  body: string;
}

function describeFailure(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if ((err as Error).name === 'TimeoutError') return 'no answer in time';
  return (err as Error).message;
}

const cents = (amount: number) => Math.round(amount * 100);
const totals = (s: PaymentsSummary) => ({
  requests: s.default.totalRequests + s.fallback.totalRequests,
  cents: cents(s.default.totalAmount) + cents(s.fallback.totalAmount),
});

/** The deployment as the check talks to it: every failure a StepFailed that says what was asked. */
class Deployment {
  readonly base: string;

  constructor(private readonly o: SmokeCheckOptions) {
    this.base = o.url.replace(/\/$/, '');
  }

  async call(path: string, init: RequestInit = {}): Promise<Answer> {
    try {
      const res = await fetch(this.base + path, { ...init, signal: AbortSignal.timeout(this.o.requestTimeoutMs) });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      throw new StepFailed(`${init.method ?? 'GET'} ${this.base}${path}: ${describeFailure(err)}`);
    }
  }

  expect(answer: Answer, status: number, what: string): void {
    if (answer.status !== status) throw new StepFailed(`${what}: ${answer.status}, expected ${status} ${answer.body}`);
  }

  async pay(amount: number): Promise<void> {
    const answer = await this.call('/payments', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ correlationId: randomUUID(), amount }),
    });
    this.expect(answer, 202, `POST /payments of ${amount}`);
  }

  /** The summary since `from` until now: a bounded window, open to anyone where ADMIN_TOKEN is set. */
  async summary(from: Date): Promise<PaymentsSummary> {
    const query = new URLSearchParams({ from: from.toISOString(), to: new Date().toISOString() });
    const answer = await this.call(`/payments-summary?${query.toString()}`);
    this.expect(answer, 200, 'GET /payments-summary');
    const parsed = JSON.parse(answer.body) as PaymentsSummary;
    for (const p of PROCESSOR_NAMES) {
      if (typeof parsed[p]?.totalRequests !== 'number' || typeof parsed[p]?.totalAmount !== 'number') {
        throw new StepFailed(`GET /payments-summary: no ${p}.totalRequests/totalAmount in ${answer.body}`);
      }
    }
    return parsed;
  }
}

/** Runs steps in turn, recording each as passed (with what it saw) or failed (with why). */
class Steps {
  readonly list: SmokeStep[] = [];

  async run(name: string, check: () => Promise<string>): Promise<boolean> {
    try {
      this.list.push({ name, ok: true, detail: await check() });
      return true;
    } catch (err) {
      this.list.push({ name, ok: false, detail: err instanceof StepFailed ? err.message : String(err) });
      return false;
    }
  }
}

/** Waits until the summary has grown by what was posted (at least: others' traffic may add to it). */
async function recordedInSummary(
  d: Deployment,
  since: Date,
  before: PaymentsSummary,
  posted: number[],
  timeoutMs: number,
) {
  const expected = { requests: posted.length, cents: posted.reduce((sum, a) => sum + cents(a), 0) };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const grown = totals(await d.summary(since));
    const was = totals(before);
    const delta = { requests: grown.requests - was.requests, cents: grown.cents - was.cents };
    if (delta.requests >= expected.requests && delta.cents >= expected.cents) {
      const exact = delta.requests === expected.requests && delta.cents === expected.cents;
      return exact
        ? `${expected.requests} payments, ${(expected.cents / 100).toFixed(2)} in all, to the cent`
        : `grew by ${delta.requests} payments, ${(delta.cents / 100).toFixed(2)} (others' traffic too)`;
    }
    if (Date.now() > deadline) {
      throw new StepFailed(
        `after ${timeoutMs} ms the summary grew by ${delta.requests} payments and ` +
          `${(delta.cents / 100).toFixed(2)}, not ${expected.requests} and ${(expected.cents / 100).toFixed(2)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The payments the check posts: one, a burst, then amounts of several shapes; each must get 202. */
async function postPayments(d: Deployment, steps: Steps): Promise<number[]> {
  const posted: number[] = [];
  await steps.run('one payment', async () => {
    await d.pay(20.05);
    posted.push(20.05);
    return '202';
  });
  await steps.run(`${BURST} payments at once`, async () => {
    const amounts = Array.from({ length: BURST }, (_, i) => 1 + i / 100);
    await Promise.all(amounts.map((a) => d.pay(a)));
    posted.push(...amounts);
    return `${BURST} x 202`;
  });
  await steps.run('amounts of several shapes', async () => {
    for (const amount of SMOKE_AMOUNTS) {
      await d.pay(amount);
      posted.push(amount);
    }
    return `${SMOKE_AMOUNTS.join(', ')}: 202 each`;
  });
  return posted;
}

export async function runSmokeCheck(options: Partial<SmokeCheckOptions> = {}): Promise<SmokeStep[]> {
  const o: SmokeCheckOptions = { ...DEFAULT_SMOKE_OPTIONS, ...options };
  const d = new Deployment(o);
  const steps = new Steps();
  const startedAt = new Date(Date.now() - 1000);
  const healthy = await steps.run('health', async () => {
    const answer = await d.call('/health');
    d.expect(answer, 200, 'GET /health');
    return `200 ${answer.body}`;
  });
  if (!healthy) return steps.list;
  let before: PaymentsSummary | undefined;
  await steps.run('summary', async () => {
    before = await d.summary(startedAt);
    const { default: d0, fallback: f0 } = before;
    return `default ${d0.totalRequests}, fallback ${f0.totalRequests} payments since ${startedAt.toISOString()}`;
  });
  const posted = await postPayments(d, steps);
  await steps.run('bad input refused', async () => {
    const answer = await d.call('/payments', { method: 'POST', body: '{"correlationId":"not-a-uuid","amount":1}' });
    d.expect(answer, 400, 'POST /payments with a bad correlationId');
    return `400 ${answer.body}`;
  });
  await steps.run('payments recorded in the summary', async () => {
    if (!before) throw new StepFailed('no summary to start from');
    return recordedInSummary(d, startedAt, before, posted, o.recordTimeoutMs);
  });
  const processors = o.processors;
  if (processors)
    await steps.run("summary equals the processors'", async () => {
      const { equal, detail } = await compareSummaries(d.base, processors, startedAt, new Date(), o.processorsToken);
      if (!equal) throw new StepFailed(detail);
      return `${detail}, since ${startedAt.toISOString()}`;
    });
  return steps.list;
}

/** One line per step, then the verdict. */
export function formatSmokeReport(steps: SmokeStep[], url: string): string {
  return [...steps.map((s) => stepReport(s.name, s)), verdict(`smoke check of ${url}`, steps)].join('\n');
}
