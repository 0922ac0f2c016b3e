import t from 'tap';
import { warmUpParsing } from '../../src/http/warm-up';

t.test('parses valid bodies (and refuses invalid ones) the given number of times', async (t) => {
  // Amounts 19.90 + i/100 for i % 100: the sum of the cents tells every valid body was parsed.
  t.equal(warmUpParsing(100), 100 * 1990 + (99 * 100) / 2);
  t.equal(warmUpParsing(0), 0);
});
