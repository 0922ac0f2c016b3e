import t from 'tap';
import { CHART_CSS, lineChart, seriesOf } from '../../tools/kit/chart';

t.test('every text of a chart is escaped: its title, its unit and its series names', async (t) => {
  const svg = lineChart('<b>&"title"', seriesOf([0, 1], { '<script>': [1, 2] }), {
    xMax: 1,
    yLabel: 'ms <y>',
    stages: [],
  });
  t.notMatch(svg, /<b>|<script>|<y>/, 'no markup from the text');
  t.match(svg, /&#60;b&#62;&#38;&#34;title&#34;/, 'the title, escaped');
  t.match(svg, /&#60;script&#62;/, 'the series name, escaped');
  t.match(svg, /ms &#60;y&#62;/, 'the unit, escaped');
});

t.test('x ticks: seconds up to ten minutes, then whole minutes, about ten of them', async (t) => {
  const ticks = (xMax: number) =>
    [...lineChart('t', [], { xMax, yLabel: 'y', stages: [] }).matchAll(/text-anchor="middle">([^<]+)</g)].map(
      (m) => m[1],
    );
  t.same(ticks(300).slice(0, 3), ['0s', '30s', '60s'], 'a replay: every 30 s');
  const hour = ticks(3600);
  t.same(hour.slice(0, 3), ['0 min', '6 min', '12 min'], 'an hour: every 6 min');
  t.ok(hour.length <= 11, `${hour.length} ticks`);
});

t.test('seriesOf: one series a column, coloured in turn, NaN leaves a gap', async (t) => {
  const series = seriesOf([0, 10, 20], { a: [1, NaN, 3], b: [4, 5, 6] });
  t.same(
    series.map((s) => [s.name, s.points]),
    [
      [
        'a',
        [
          [0, 1],
          [20, 3],
        ],
      ],
      [
        'b',
        [
          [0, 4],
          [10, 5],
          [20, 6],
        ],
      ],
    ],
  );
  t.not(series[0].color, series[1].color);
  t.match(CHART_CSS, /\.tick\{/);
});
