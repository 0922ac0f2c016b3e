import t from 'tap';
import { OFFICIAL, scaledScenario, stageAt, vusAt } from '../../tools/replay/scenario';

t.test('the official scenario', async (t) => {
  t.equal(OFFICIAL.durationS, 300);
  t.equal(OFFICIAL.maxVus, 603);
  t.same(
    OFFICIAL.stages.map((s) => s.atS),
    [1, 30, 60, 90, 120, 150, 180, 210, 240, 270],
  );
  t.same(stageAt(OFFICIAL, 95), {
    atS: 90,
    default: { delay: 2000, failure: true },
    fallback: { delay: 1000, failure: false },
  });
  t.same(stageAt(OFFICIAL, 299)!.default, { delay: 2000, failure: false });
  t.equal(stageAt(OFFICIAL, 0.5), null, 'nothing before the first stage');
});

t.test('the ramp goes from 1 to the peak over the duration', async (t) => {
  t.equal(vusAt(OFFICIAL, 0), 1);
  t.equal(vusAt(OFFICIAL, 150), 302);
  t.equal(vusAt(OFFICIAL, 300), 603);
  t.equal(vusAt(OFFICIAL, 400), 603);
});

t.test('scaling keeps the proportions and the delays', async (t) => {
  const s = scaledScenario(0.1);
  t.equal(s.durationS, 30);
  t.equal(s.maxVus, 60);
  t.same(
    s.stages.map((x) => Math.round(x.atS * 10) / 10),
    [0.1, 3, 6, 9, 12, 15, 18, 21, 24, 27],
  );
  t.same(s.stages[9].default, { delay: 2000, failure: false }, 'delays are not scaled');
  t.equal(s.checkEveryS, 1);
  t.equal(scaledScenario(0.1, 10).maxVus, 10, 'peak can be set');
  t.throws(() => scaledScenario(0));
  t.throws(() => scaledScenario(2));
});
