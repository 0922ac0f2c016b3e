import t from 'tap';
import { warmUpParsing } from '../../src/http/warm-up';

t.test('runs the accepting and the refusing path of parsing the given number of times', async (t) => {
  t.same(warmUpParsing(100), { accepted: 100, refused: 100 });
  t.same(warmUpParsing(0), { accepted: 0, refused: 0 });
});
