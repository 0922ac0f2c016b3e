// The first thing to run against a deployment just brought up: health, one payment, the summary,
// 20 payments at once, amounts of several shapes, and (given the processors' admin URLs) our
// summary against theirs to the cent. It purges nothing, so it may run against a live deployment.
import { randomUUID } from 'node:crypto';
import type { PaymentsSummary, ProcessorName } from '../../src/payment';
import { PROCESSOR_NAMES } from '../../src/payment';

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

export async function runSmokeCheck(options: Partial<SmokeCheckOptions> = {}): Promise<SmokeStep[]> {
  const o: SmokeCheckOptions = { ...DEFAULT_SMOKE_OPTIONS, ...options };
  const base = o.url.replace(/\/$/, '');
  const steps: SmokeStep[] = [];

  const call = async (path: string, init: RequestInit = {}, url = base): Promise<Answer> => {
    try {
      const res = await fetch(url + path, { ...init, signal: AbortSignal.timeout(o.requestTimeoutMs) });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      throw new StepFailed(`${init.method ?? 'GET'} ${url}${path}: ${describeFailure(err)}`);
    }
  };
  const step = async (name: string, run: () => Promise<string>): Promise<boolean> => {
    try {
      steps.push({ name, ok: true, detail: await run() });
      return true;
    } catch (err) {
      steps.push({ name, ok: false, detail: err instanceof StepFailed ? err.message : String(err) });
      return false;
    }
  };
  const expect = (answer: Answer, status: number, what: string) => {
    if (answer.status !== status) throw new StepFailed(`${what}: ${answer.status}, expected ${status} ${answer.body}`);
  };
  const pay = async (amount: number) => {
    const answer = await call('/payments', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ correlationId: randomUUID(), amount }),
    });
    expect(answer, 202, `POST /payments of ${amount}`);
  };
  const summary = async (query = ''): Promise<PaymentsSummary> => {
    const answer = await call(`/payments-summary${query}`);
    expect(answer, 200, 'GET /payments-summary');
    const parsed = JSON.parse(answer.body) as PaymentsSummary;
    for (const p of PROCESSOR_NAMES) {
      if (typeof parsed[p]?.totalRequests !== 'number' || typeof parsed[p]?.totalAmount !== 'number') {
        throw new StepFailed(`GET /payments-summary: no ${p}.totalRequests/totalAmount in ${answer.body}`);
      }
    }
    return parsed;
  };

  const startedAt = new Date(Date.now() - 1000).toISOString();
  const healthy = await step('health', async () => {
    const answer = await call('/health');
    expect(answer, 200, 'GET /health');
    return `200 ${answer.body}`;
  });
  if (!healthy) return steps;

  let before: PaymentsSummary | undefined;
  await step('summary', async () => {
    before = await summary();
    return `default ${before.default.totalRequests}, fallback ${before.fallback.totalRequests} payments so far`;
  });
  const posted: number[] = [];
  await step('one payment', async () => {
    await pay(20.05);
    posted.push(20.05);
    return '202';
  });
  await step(`${BURST} payments at once`, async () => {
    const amounts = Array.from({ length: BURST }, (_, i) => 1 + i / 100);
    await Promise.all(amounts.map(pay));
    posted.push(...amounts);
    return `${BURST} x 202`;
  });
  await step('amounts of several shapes', async () => {
    for (const amount of SMOKE_AMOUNTS) {
      await pay(amount);
      posted.push(amount);
    }
    return `${SMOKE_AMOUNTS.join(', ')}: 202 each`;
  });
  await step('bad input refused', async () => {
    const answer = await call('/payments', { method: 'POST', body: '{"correlationId":"not-a-uuid","amount":1}' });
    expect(answer, 400, 'POST /payments with a bad correlationId');
    return `400 ${answer.body}`;
  });

  await step('payments recorded in the summary', async () => {
    if (!before) throw new StepFailed('no summary to start from');
    const expected = { requests: posted.length, cents: posted.reduce((sum, a) => sum + cents(a), 0) };
    const deadline = Date.now() + o.recordTimeoutMs;
    for (;;) {
      const grown = totals(await summary());
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
          `after ${o.recordTimeoutMs} ms the summary grew by ${delta.requests} payments and ` +
            `${(delta.cents / 100).toFixed(2)}, not ${expected.requests} and ${(expected.cents / 100).toFixed(2)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  const processors = o.processors;
  if (processors) {
    await step("summary equals the processors'", async () => {
      const window = `?from=${startedAt}&to=${new Date().toISOString()}`;
      const ours = await summary(window);
      const differences: string[] = [];
      for (const p of PROCESSOR_NAMES) {
        const answer = await call(
          `/admin/payments-summary${window}`,
          { headers: { 'x-rinha-token': o.processorsToken } },
          processors[p].replace(/\/$/, ''),
        );
        expect(answer, 200, `the ${p} processor's admin summary`);
        const theirs = JSON.parse(answer.body) as { totalRequests: number; totalAmount: number };
        if (
          theirs.totalRequests !== ours[p].totalRequests ||
          cents(theirs.totalAmount) !== cents(ours[p].totalAmount)
        ) {
          differences.push(
            `${p}: ours ${ours[p].totalRequests} / ${ours[p].totalAmount}, theirs ${theirs.totalRequests} / ` +
              `${theirs.totalAmount}`,
          );
        }
      }
      if (differences.length > 0) throw new StepFailed(differences.join('; '));
      return (
        `default ${ours.default.totalRequests} / ${ours.default.totalAmount}, fallback ` +
        `${ours.fallback.totalRequests} / ${ours.fallback.totalAmount} since ${startedAt}`
      );
    });
  }
  return steps;
}

/** One line per step, then the verdict. */
export function formatSmokeReport(steps: SmokeStep[], url: string): string {
  const lines = steps.map((s) => `${s.ok ? 'PASS' : 'FAIL'}  ${s.name}: ${s.detail}`);
  const failed = steps.filter((s) => !s.ok).length;
  lines.push(
    failed === 0
      ? `smoke check of ${url}: every step passed (${steps.length})`
      : `smoke check of ${url}: ${failed} of ${steps.length} steps FAILED`,
  );
  return lines.join('\n');
}
