import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { IntakeGate, refusalOf, type RefusalReason } from '../../src/core/intake-gate';

t.test("Redis' refusals by their errors", async (t) => {
  t.equal(refusalOf(new Error("OOM command not allowed when used memory > 'maxmemory'.")), 'full');
  t.equal(refusalOf(new Error("READONLY You can't write against a read only replica.")), 'read-only');
  t.equal(refusalOf(new Error('Connection is closed.')), 'down');
  t.equal(
    refusalOf(Object.assign(new Error('x'), { name: 'DedupeLostError' })),
    null,
    'a lost dedupe memory is rebuilt',
  );
});

t.test('refuses while Redis refuses writes, probes, and opens once a write lands', async (t) => {
  const changes: (RefusalReason | null)[] = [];
  let probes = 0;
  let full = true;
  const gate = new IntakeGate({
    probe: async () => {
      probes++;
      if (full) throw new Error('OOM command not allowed');
    },
    probeMs: 10,
    maxNotDurable: 3,
    maxHeld: 1000,
    onChange: (r) => changes.push(r),
  });
  t.teardown(() => gate.stop());
  gate.writeFailed(new Error('OOM command not allowed'));
  t.equal(gate.refusal, 'full');
  gate.writeFailed(new Error('OOM command not allowed'));
  t.same(changes, ['full'], 'each change reported once');
  await sleep(50);
  t.ok(probes >= 2, `probed while refusing (${probes})`);
  full = false;
  await sleep(50);
  t.same(changes, ['full', null], 'open again once a probe landed');
  const after = probes;
  await sleep(40);
  t.equal(probes, after, 'no probe while open');
});

t.test('refuses while too many acknowledged payments are not durable', async (t) => {
  const changes: (RefusalReason | null)[] = [];
  const gate = new IntakeGate({
    probe: async () => undefined,
    probeMs: 10,
    maxNotDurable: 3,
    maxHeld: 1000,
    onChange: (r) => changes.push(r),
  });
  gate.notDurable(2);
  gate.notDurable(3);
  t.equal(gate.refusal, 'backlog');
  gate.writeFailed(new Error('Connection is closed.'));
  t.equal(gate.refusal, 'down', "the store's own reason comes first");
  gate.writeLanded();
  gate.notDurable(0);
  t.same(changes, ['backlog', 'down', 'backlog', null]);
  gate.stop();
});

t.test('refuses at MAX_HELD, opens again 10 % below it; room is what is left', async (t) => {
  const changes: (RefusalReason | null)[] = [];
  const gate = new IntakeGate({
    probe: async () => undefined,
    probeMs: 10,
    maxNotDurable: 3,
    maxHeld: 100,
    onChange: (r) => changes.push(r),
  });
  t.teardown(() => gate.stop());
  t.equal(gate.room, 100);
  gate.held(99);
  t.equal(gate.refusal, null);
  t.equal(gate.room, 1);
  gate.held(100);
  t.equal(gate.refusal, 'held');
  t.equal(gate.room, 0);
  gate.held(95);
  t.equal(gate.refusal, 'held', 'still refusing just under the bound');
  gate.held(89);
  t.equal(gate.refusal, null, 'open again below 90');
  gate.held(100);
  gate.notDurable(3);
  t.equal(gate.refusal, 'backlog', 'what is not durable yet comes first');
  gate.notDurable(0);
  gate.held(0);
  t.same(changes, ['held', null, 'held', 'backlog', 'held', null]);
});

t.test('a lost dedupe memory refuses nothing and probes nothing; stop ends the probing', async (t) => {
  const changes: (RefusalReason | null)[] = [];
  let probes = 0;
  const gate = new IntakeGate({
    probe: async () => {
      probes++;
      throw new Error('Connection is closed.');
    },
    probeMs: 10,
    maxNotDurable: 3,
    maxHeld: 1000,
    onChange: (r) => changes.push(r),
  });
  gate.writeFailed(Object.assign(new Error('the dedupe memory in Redis was lost'), { name: 'DedupeLostError' }));
  await sleep(40);
  t.equal(gate.refusal, null);
  t.same(changes, []);
  t.equal(probes, 0, 'no probe');
  gate.writeFailed(new Error('Connection is closed.'));
  await sleep(35);
  t.ok(probes >= 2, 'probing while down');
  gate.stop();
  const at = probes;
  await sleep(50);
  t.equal(probes, at, 'no probe after stop');
  gate.writeFailed(new Error('Connection is closed.'));
  await sleep(30);
  t.equal(probes, at, 'nor after a failure reported once stopped');
});

t.test('refusals read from whatever was thrown, not only Errors', async (t) => {
  t.equal(refusalOf("OOM command not allowed when used memory > 'maxmemory'."), 'full');
  t.equal(refusalOf(undefined), 'down');
  t.equal(refusalOf({ message: "READONLY You can't write against a read only replica." }), 'read-only');
});
