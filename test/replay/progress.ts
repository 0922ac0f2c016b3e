import t from 'tap';
import { Progress } from '../../tools/replay/progress';

const state = {
  t: 12,
  durationS: 300,
  vus: 25,
  ratePerS: 24.5,
  p99Ms: 0.876,
  errors: 0,
  inconsistencies: 0,
  stage: 'default 0ms, fallback 0ms',
};

t.test('on a terminal: one line rewritten in place', async (t) => {
  const out: string[] = [];
  const p = new Progress({ isTTY: true, write: (s: string) => out.push(s) }, true);
  p.update(state);
  p.update({ ...state, t: 13 });
  t.equal(out.length, 2);
  // eslint-disable-next-line no-control-regex -- the progress line starts with the terminal's erase-line code
  t.match(out[1], /^\r\x1b\[2Kt= 13\/300s {2}vus= 25 .* p99=0\.88ms {2}errors=0 {2}inconsistencies=0/);
});

t.test('not on a terminal: a plain line at most every 30 s, and what it says', async (t) => {
  const out: string[] = [];
  const p = new Progress({ isTTY: false, write: (s: string) => out.push(s) }, false);
  p.update(state);
  p.update({ ...state, t: 20 });
  p.update({ ...state, t: 43 });
  p.say('done');
  t.same(
    out.map((l) => l.slice(0, 8)),
    ['t= 12/30', 't= 43/30', 'done\n'],
  );
  t.notOk(
    out.some((l) => l.includes('\x1b')),
    'no terminal escapes',
  );
});
