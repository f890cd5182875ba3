/**
 * One metric series as an inline SVG line chart. Hand-written rather than a charting library
 * because the report must be a single self-contained file with no scripts: every charting library
 * we considered (Chart.js, Plotly, uPlot) renders in the browser with JavaScript, and the SVG we
 * need (axes, a polyline, a few ticks) is about a hundred lines.
 */
import { escapeHtml, formatNumber } from './escape.js';

/** A metric over steps; `value` null marks a gap (NaN / missing). */
export interface Series {
  name: string;
  points: { step: number; value: number | null }[];
}

const WIDTH = 360;
const HEIGHT = 200;
const MARGIN = { top: 12, right: 12, bottom: 28, left: 56 };

/** An `<svg>` line chart of `series` (steps on x). Returns '' when the series has no finite value. */
export function lineChartSvg(series: Series): string {
  const finite = series.points.filter((p): p is { step: number; value: number } => p.value !== null && Number.isFinite(p.value));
  if (finite.length === 0) return '';
  const steps = series.points.map((p) => p.step);
  const x = scale(Math.min(...steps), Math.max(...steps), MARGIN.left, WIDTH - MARGIN.right);
  const yTicks = niceTicks(Math.min(...finite.map((p) => p.value)), Math.max(...finite.map((p) => p.value)));
  const y = scale(yTicks[0], yTicks[yTicks.length - 1], HEIGHT - MARGIN.bottom, MARGIN.top);
  const xTicks = niceTicks(Math.min(...steps), Math.max(...steps)).filter((t) => t >= Math.min(...steps) && t <= Math.max(...steps));

  const grid = yTicks
    .map((t) => `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(t)}" y2="${y(t)}" class="grid"/>` +
      `<text x="${MARGIN.left - 6}" y="${y(t) + 4}" text-anchor="end">${escapeHtml(formatNumber(t))}</text>`)
    .join('');
  const xLabels = xTicks
    .map((t) => `<text x="${x(t)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${escapeHtml(formatNumber(t))}</text>`)
    .join('');
  const paths = segments(series.points)
    .map((segment) => segment.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.step).toFixed(1)},${y(p.value).toFixed(1)}`).join(''))
    .map((d) => `<path d="${d}" class="line"/>`)
    .join('');
  const dots = finite.length <= 60
    ? finite.map((p) => `<circle cx="${x(p.step).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="2.5" class="dot"><title>step ${p.step}: ${escapeHtml(formatNumber(p.value))}</title></circle>`).join('')
    : '';
  const label = escapeHtml(series.name);
  return `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${label} over steps">` +
    `<title>${label}</title>${grid}` +
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom}" class="axis"/>` +
    `${xLabels}<text x="${MARGIN.left - 6}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="end" class="unit">step</text>${paths}${dots}</svg>`;
}

/** Linear map from [d0, d1] to [r0, r1]; a zero-width domain maps to the middle of the range. */
function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/** About five round tick values covering [lo, hi] (1, 2, 5 × 10^k spacing). */
export function niceTicks(lo: number, hi: number): number[] {
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const rough = (hi - lo) / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const first = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let i = 0; ; i += 1) {
    const t = Number((first + i * step).toPrecision(12));
    ticks.push(t);
    if (t >= hi) return ticks;
  }
}

/** Splits points into runs of finite values so gaps are drawn as gaps. */
function segments(points: Series['points']): { step: number; value: number }[][] {
  const out: { step: number; value: number }[][] = [];
  let current: { step: number; value: number }[] = [];
  for (const p of points) {
    if (p.value !== null && Number.isFinite(p.value)) current.push({ step: p.step, value: p.value });
    else if (current.length > 0) {
      out.push(current);
      current = [];
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}
