import t from 'tap';
import { slowBursts } from '../../tools/replay/slow-bursts';

t.test('slow answers sent close together form one burst', async (t) => {
  const answers = [
    { sentAt: 0, ms: 0.3 },
    { sentAt: 100, ms: 9 },
    { sentAt: 105, ms: 8 },
    { sentAt: 118, ms: 7 }, // 13 ms after the previous slow one: same burst
    { sentAt: 119, ms: 0.4 }, // fast: not counted
    { sentAt: 500, ms: 5 }, // alone
    { sentAt: 900, ms: 5 },
    { sentAt: 910, ms: 6 },
  ];
  t.same(slowBursts(answers, 5), { slow: 6, bursts: 3, largest: 3, inBurstsOf3: 3 / 6 });
});

t.test('the gap decides what is together; order of the input does not matter', async (t) => {
  const answers = [
    { sentAt: 30, ms: 5 },
    { sentAt: 0, ms: 5 },
    { sentAt: 15, ms: 5 },
  ];
  t.equal(slowBursts(answers, 5, 20).bursts, 1);
  t.equal(slowBursts(answers, 5, 10).bursts, 3);
});

t.test('no slow answers', async (t) => {
  t.same(slowBursts([{ sentAt: 0, ms: 1 }], 5), { slow: 0, bursts: 0, largest: 0, inBurstsOf3: 0 });
  t.same(slowBursts([], 5), { slow: 0, bursts: 0, largest: 0, inBurstsOf3: 0 });
});
