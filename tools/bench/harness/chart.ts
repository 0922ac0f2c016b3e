// A line chart as SVG, for the HTML reports of long runs (no plotting package needed).

/** One SVG line chart: a polyline per series, shared axes. */
export function svgChart(title: string, unit: string, xs: number[], series: Record<string, number[]>): string {
  const W = 900;
  const H = 300;
  const pad = 50;
  const maxX = Math.max(...xs, 1);
  const maxY = Math.max(...Object.values(series).flat().filter(Number.isFinite), 1) * 1.1;
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];
  const x = (v: number) => pad + (v / maxX) * (W - 2 * pad);
  const y = (v: number) => H - pad + 0 - (v / maxY) * (H - 2 * pad);
  const lines = Object.entries(series).map(([name, ys], i) => {
    const pts = ys.map((v, k) => (Number.isFinite(v) ? `${x(xs[k]).toFixed(1)},${y(v).toFixed(1)}` : '')).join(' ');
    const c = colors[i % colors.length];
    return (
      `<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts}"/>` +
      `<text x="${W - pad + 5}" y="${pad + 14 * i}" fill="${c}" font-size="11">${name}</text>`
    );
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (f) =>
      `<text x="5" y="${y(maxY * f) + 4}" font-size="10">${(maxY * f).toFixed(1)}</text>` +
      `<text x="${x(maxX * f) - 10}" y="${H - pad + 15}" font-size="10">${((maxX * f) / 60).toFixed(0)} min</text>`,
  );
  return `<h3>${title}</h3><svg width="${W + 120}" height="${H}" style="font-family:sans-serif">
<rect x="${pad}" y="${pad}" width="${W - 2 * pad}" height="${H - 2 * pad}" fill="none" stroke="#ccc"/>
<text x="${pad}" y="${pad - 8}" font-size="11">${unit}</text>${ticks.join('')}${lines.join('')}</svg>`;
}
