import t from 'tap';
import { defaultUsable, oracleDefaultShare } from '../../tools/replay/oracle';
import { OFFICIAL, scaledScenario } from '../../tools/replay/scenario';

t.test('default is usable unless failing or at/above the horizon', async (t) => {
  t.equal(defaultUsable(OFFICIAL, 0.5, 1500), true, 'before the first stage');
  t.equal(defaultUsable(OFFICIAL, 45, 1500), true, '1000 ms is below the horizon');
  t.equal(defaultUsable(OFFICIAL, 100, 1500), false, 'failing');
  t.equal(defaultUsable(OFFICIAL, 280, 1500), false, '2000 ms');
  t.equal(defaultUsable(OFFICIAL, 280, 2500), true, 'unless the horizon is higher');
});

t.test('the oracle waits out the failures and only loses the last stage', async (t) => {
  const share = oracleDefaultShare(OFFICIAL, 1500);
  // Traffic grows with the ramp: the part before 270 s of a linear ramp is about (270/300)^2.
  t.ok(Math.abs(share - 0.81) < 0.005, `oracle share ${share.toFixed(4)} ~ 0.81`);
  t.ok(Math.abs(oracleDefaultShare(scaledScenario(0.1), 1500) - share) < 0.01, 'the same at any scale');
  t.equal(oracleDefaultShare(OFFICIAL, 10_000), 1, 'with no horizon it sends everything to default');
});
