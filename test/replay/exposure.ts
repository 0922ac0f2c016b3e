import t from 'tap';
import { computeExposure, exposedIntervals, periodicChance, union } from '../../tools/replay/exposure';
import { OFFICIAL } from '../../tools/replay/scenario';

t.test('union merges overlapping and touching intervals, in order', async (t) => {
  t.same(
    union([
      [5, 7],
      [1, 3],
      [2, 4],
      [7, 8],
    ]),
    [
      [1, 4],
      [5, 8],
    ],
  );
  t.same(union([]), []);
});

t.test('a payment is exposed from requestedAt + 2 s until it is stored; one stored in time is not', async (t) => {
  t.same(
    exposedIntervals([
      [0, 2010],
      [5, 2012],
      [100, 2000],
      [100, 2100],
    ]),
    [[2000, 2012]],
    'the first two overlap; the third is stored 1.9 s after; the fourth exactly at the bound',
  );
});

t.test('the chance that a periodic checker lands in the exposure folds it over one period', async (t) => {
  t.equal(periodicChance([], 10_000), 0, 'nothing exposed: never');
  t.equal(periodicChance([[0, 100]], 10_000), 0.01);
  t.equal(
    periodicChance(
      [
        [50, 150],
        [10_050, 10_150],
      ],
      10_000,
    ),
    0.01,
    'the same phase in two periods counts once',
  );
  t.equal(periodicChance([[9_950, 10_050]], 10_000), 0.01, 'an interval across a period boundary wraps');
  t.equal(periodicChance([[0, 12_000]], 10_000), 1, 'longer than a period: certain');
});

t.test('exposure is split by the stage in force at each late payment requestedAt', async (t) => {
  const start = 1_000_000;
  const at = (s: number) => start + s * 1000;
  const e = computeExposure(
    [
      [at(269.9), at(269.9) + 2015], // requested in the 240 s stage, stored late
      [at(270.1), at(270.1) + 2010],
      [at(270.2), at(270.2) + 2010],
      [at(100), at(100) + 1500], // stored in time: listed by a shorter bound, exposes nothing
    ],
    OFFICIAL,
    start,
  );
  t.equal(e.latePayments, 3);
  t.equal(e.exposedMs, 15 + 10 + 10, 'the last two overlap: 270.1 + 2 s .. 272.11, 270.2 + 2 s .. 272.21');
  t.equal(e.officialCheckerChance, 35 / 10_000);
  const exposed = e.stages.filter((s) => s.latePayments > 0);
  t.same(
    exposed.map((s) => [s.atS, s.latePayments, s.exposedMs, s.worstLateMs]),
    [
      [240, 1, 15, 2015],
      [270, 2, 10 + 10, 2010],
    ],
  );
  t.equal(e.truncated, false);
});
