// The payments scenario: k6's ramping-vus, closed loop. Each virtual user posts one
// payment (a fresh UUID, amount 20.05), waits for the answer (or the client time-out),
// sleeps 1 s, and starts again, until the scenario's end; the number of users grows
// linearly from 1 to the peak over the whole duration.
import { randomUUID } from 'node:crypto';
import { vusAt, type Scenario } from './scenario';
import type { TimedClient } from './timed-client';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PaymentTally {
  succeeded: number;
  failed: number;
  active: number;
}

export async function runVirtualUsers(
  scenario: Scenario,
  client: TimedClient,
  backendUrl: string,
  startedAt: number,
  tally: PaymentTally,
): Promise<void> {
  const endsAt = startedAt + scenario.durationS * 1000;
  const body = () => JSON.stringify({ correlationId: randomUUID(), amount: scenario.amount });
  const users: Promise<void>[] = [];

  const user = async () => {
    const send = client.user();
    tally.active++;
    while (Date.now() < endsAt) {
      const r = await send('payment', `${backendUrl}/payments`, 'POST', scenario.clientTimeoutMs, body());
      if (r.status === 200 || r.status === 201 || r.status === 202 || r.status === 204) tally.succeeded++;
      else tally.failed++;
      // The whole sleep, even past the end: k6 lets an iteration under way finish (gracefulStop),
      // so the final summaries are read at least a sleep after the last answer, not at once.
      await sleep(scenario.vuSleepS * 1000);
    }
    tally.active--;
  };

  // Adds users as the ramp asks for them; an iteration under way at the end finishes, sleep included.
  while (Date.now() < endsAt) {
    const target = vusAt(scenario, (Date.now() - startedAt) / 1000);
    while (users.length < target) users.push(user());
    await sleep(20);
  }
  await Promise.all(users);
}
