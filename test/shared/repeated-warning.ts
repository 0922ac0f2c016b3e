import t from 'tap';
import { createLogger } from '../../src/shared/log';
import { RepeatedWarning } from '../../src/shared/repeated-warning';

t.test('a failure logged at once, then at most once per interval with its count; its end once', async (t) => {
  const lines: { level: string; event: string; occurrences?: number; unreported?: number; x?: number }[] = [];
  const log = createLogger('i', 'info', (l) => lines.push(JSON.parse(l) as (typeof lines)[number]));
  let now = 0;
  const w = new RepeatedWarning(log, 'thing-failed', 1000, () => now);
  w.failed({ x: 1 });
  for (let i = 0; i < 500; i++) {
    now += 1;
    w.failed({ x: 2 });
  }
  t.same(lines.length, 1, 'the first at once; the next 500 within the interval: not one line each');
  now = 1001;
  w.failed({ x: 3 });
  t.match(lines[1], { level: 'warn', event: 'thing-failed', occurrences: 501, x: 3 });
  w.failed({});
  w.recovered({ x: 4 });
  w.recovered({ x: 5 });
  t.match(lines.slice(2), [{ level: 'info', event: 'thing-failed-ended', unreported: 1, x: 4 }]);
  t.equal(lines.length, 3, 'the end is said once');
  w.failed({});
  t.match(lines[3], { event: 'thing-failed', occurrences: 1 }, 'a new outage is logged at once');
});
