import t from 'tap';
import { spawnActor, startActorSystem, stopActorSystem } from '../src/actors/actor-system';
import type { SupervisorMsg } from '../src/actors/payment-supervisor';
import { PaymentIntake } from '../src/intake';

function supervisorDouble(t: { teardown(fn: () => unknown): void }) {
  const system = startActorSystem(`intake-test-${Math.random()}`);
  t.teardown(() => stopActorSystem(system));
  const messages: SupervisorMsg[] = [];
  const ref = spawnActor<null, SupervisorMsg>(system, { name: 'supervisor', initialState: () => null, onCrash: 'resume', handle: (s, m) => (messages.push(m), s) });
  return { ref, messages };
}

t.test('many payments accepted in one turn reach the supervisor as one message', async (t) => {
  const sup = supervisorDouble(t);
  const intake = new PaymentIntake(sup.ref, 0);
  for (let i = 0; i < 100; i++) intake.accept({ correlationId: `id-${i}`, amountCents: i + 1 });
  await new Promise((r) => setTimeout(r, 20));
  t.equal(sup.messages.length, 1);
  const m = sup.messages[0] as Extract<SupervisorMsg, { type: 'accepted' }>;
  t.equal(m.type, 'accepted');
  t.equal(m.payments.length, 100);
  t.match(m.payments[7], { correlationId: 'id-7', amountCents: 8, acceptedAt: Number });
  intake.flush();
  await new Promise((r) => setTimeout(r, 10));
  t.equal(sup.messages.length, 1, 'an empty flush sends nothing');
});

t.test('with INTAKE_FLUSH_MS, payments of several turns share a batch', async (t) => {
  const sup = supervisorDouble(t);
  const intake = new PaymentIntake(sup.ref, 40);
  intake.accept({ correlationId: 'a', amountCents: 1 });
  await new Promise((r) => setImmediate(r));
  intake.accept({ correlationId: 'b', amountCents: 1 });
  await new Promise((r) => setTimeout(r, 80));
  t.equal(sup.messages.length, 1);
  t.equal((sup.messages[0] as Extract<SupervisorMsg, { type: 'accepted' }>).payments.length, 2);
});
