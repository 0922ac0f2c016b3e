// The one chart writer of the tools' HTML reports (the replay's, the soak's): a line chart as inline SVG, every
// text escaped, styled by CHART_CSS. No plotting package needed.

/** The classes the charts use, for the page's <style>. */
export const CHART_CSS = `.grid{stroke:#eee}.stage{stroke:#999;stroke-dasharray:4 3}.tick{font-size:11px;fill:#666}
.legend span{margin-right:1rem;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}`;

export const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];

/** Seconds on the x axis: every 30 s up to 10 min (fewer for a short run), then in whole minutes, about ten. */
function xTicks(xMax: number): [number, string][] {
  const ticks: [number, string][] = [];
  if (xMax <= 600) {
    const step = xMax > 100 ? 30 : Math.max(1, Math.round(xMax / 10));
    for (let t = 0; t <= xMax; t += step) ticks.push([t, `${t}s`]);
  } else {
    const step = 60 * Math.ceil(xMax / 600);
    for (let t = 0; t <= xMax; t += step) ticks.push([t, `${t / 60} min`]);
  }
  return ticks;
}

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

const W = 900;
const H = 220;
const PAD = { left: 56, right: 16, top: 12, bottom: 28 };

/** Text as HTML shows it: titles and names come from run options and processor names. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function lineChart(
  title: string,
  series: Series[],
  opts: { xMax: number; yLabel: string; log?: boolean; stages: number[] },
): string {
  const all = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => Number.isFinite(v));
  const yMaxRaw = all.length > 0 ? Math.max(...all) : 1;
  const yMin = opts.log ? 0.05 : 0;
  const yMax = opts.log ? Math.max(1, yMaxRaw) * 1.2 : Math.max(1, yMaxRaw) * 1.1;
  const fy = (v: number) => {
    const frac = opts.log
      ? (Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))
      : (v - yMin) / (yMax - yMin);
    return PAD.top + (1 - Math.min(1, Math.max(0, frac))) * (H - PAD.top - PAD.bottom);
  };
  const fx = (t: number) => PAD.left + (t / opts.xMax) * (W - PAD.left - PAD.right);
  const ticks = opts.log
    ? [0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000].filter((v) => v <= yMax)
    : [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(yMax * f));
  const parts: string[] = [`<svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${escapeHtml(title)}">`];
  for (const v of ticks)
    parts.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${fy(v)}" y2="${fy(v)}" class="grid"/><text ` +
        `x="${PAD.left - 6}" y="${fy(v) + 4}" class="tick" text-anchor="end">${v}</text>`,
    );
  for (const s of opts.stages)
    parts.push(`<line x1="${fx(s)}" x2="${fx(s)}" y1="${PAD.top}" y2="${H - PAD.bottom}" class="stage"/>`);
  for (const [t, label] of xTicks(opts.xMax))
    parts.push(`<text x="${fx(t)}" y="${H - 8}" class="tick" text-anchor="middle">${label}</text>`);
  for (const s of series) {
    if (s.points.length === 0) continue;
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" ` +
        `points="${s.points.map(([x, y]) => `${fx(x).toFixed(1)},${fy(y).toFixed(1)}`).join(' ')}"/>`,
    );
  }
  parts.push(`<text x="${PAD.left}" y="${PAD.top - 2}" class="tick">${escapeHtml(opts.yLabel)}</text></svg>`);
  const legend = series.map((s) => `<span><i style="background:${s.color}"></i>${escapeHtml(s.name)}</span>`).join('');
  return `<section><h2>${escapeHtml(title)}</h2><div class="legend">${legend}</div>${parts.join('')}</section>`;
}

/** Series from x values and named y columns (NaN: no point), coloured in turn. */
export function seriesOf(xs: number[], columns: Record<string, number[]>): Series[] {
  return Object.entries(columns).map(([name, ys], i) => ({
    name,
    color: COLORS[i % COLORS.length],
    points: ys.flatMap((y, k): [number, number][] => (Number.isFinite(y) ? [[xs[k], y]] : [])),
  }));
}
