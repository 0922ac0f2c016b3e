import t from 'tap';
import { PaymentIntake } from '../../src/http/intake';
import type { PendingPayment } from '../../src/domain/pending-payment';

/** Records each hand-over, as the core would receive it. */
function coreDouble() {
  const messages: PendingPayment[][] = [];
  return { deliver: (payments: PendingPayment[]) => messages.push(payments), messages };
}

t.test('many payments accepted in one turn reach the core in one hand-over', async (t) => {
  const sup = coreDouble();
  const intake = new PaymentIntake(sup.deliver, 0);
  for (let i = 0; i < 100; i++) intake.accept({ correlationId: `id-${i}`, amountCents: i + 1 });
  await new Promise((r) => setTimeout(r, 20));
  t.equal(sup.messages.length, 1);
  const payments = sup.messages[0];
  t.equal(payments.length, 100);
  t.match(payments[7], { correlationId: 'id-7', amountCents: 8, acceptedAt: Number });
  intake.flush();
  await new Promise((r) => setTimeout(r, 10));
  t.equal(sup.messages.length, 1, 'an empty flush sends nothing');
});

t.test('with INTAKE_FLUSH_MS, payments of several turns share a batch', async (t) => {
  const sup = coreDouble();
  const intake = new PaymentIntake(sup.deliver, 40);
  intake.accept({ correlationId: 'a', amountCents: 1 });
  await new Promise((r) => setImmediate(r));
  intake.accept({ correlationId: 'b', amountCents: 1 });
  await new Promise((r) => setTimeout(r, 80));
  t.equal(sup.messages.length, 1);
  t.equal(sup.messages[0].length, 2);
});

t.test('answers that wait: each batch carries an id, and its payments are answered by the core, once', async (t) => {
  const delivered: [number, number | undefined][] = [];
  const intake = new PaymentIntake((ps, batch) => delivered.push([ps.length, batch]), 0);
  const answers: [string, boolean][] = [];
  intake.accept({ correlationId: 'a', amountCents: 1 }, (d) => answers.push(['a', d]));
  intake.accept({ correlationId: 'b', amountCents: 1 }, (d) => answers.push(['b', d]));
  await new Promise((r) => setImmediate(r));
  intake.accept({ correlationId: 'c', amountCents: 1 }, (d) => answers.push(['c', d]));
  await new Promise((r) => setImmediate(r));
  t.same(delivered, [
    [2, 1],
    [1, 2],
  ]);
  t.equal(intake.unanswered, 3);
  intake.settled(2, false);
  intake.settled(1, true);
  intake.settled(1, true);
  t.same(answers, [
    ['c', false],
    ['a', true],
    ['b', true],
  ]);
  t.equal(intake.unanswered, 0, 'nothing kept once answered');
});
