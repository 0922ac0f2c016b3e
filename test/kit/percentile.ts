import t from 'tap';
import { k6Percentile, sortedCopy } from '../../tools/kit/percentile';

t.test('k6 interpolates between the nearest ranks', async (t) => {
  const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  t.equal(k6Percentile(v, 50), 5.5);
  t.equal(k6Percentile(v, 99), 9.91);
  t.equal(k6Percentile(v, 100), 10);
  t.equal(k6Percentile([], 99), 0);
  t.equal(k6Percentile([4], 99), 4);
});

t.test('sortedCopy sorts numerically and leaves the input alone', async (t) => {
  const input = [10, 9, 1, 100];
  t.same(Array.from(sortedCopy(input)), [1, 9, 10, 100]);
  t.same(input, [10, 9, 1, 100]);
});
