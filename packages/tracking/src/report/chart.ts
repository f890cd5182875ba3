/**
 * Line charts as inline SVG. Hand-written rather than a charting library because the report must
 * be a single self-contained file that runs no scripts: every charting library we considered
 * (Chart.js, Plotly, uPlot) renders in the browser with JavaScript, and what we need (axes, a few
 * lines, a shaded band, ticks) is about a hundred lines.
 */
import { formatNumber, html, type Html } from './escape.js';
import { niceTicks } from './ticks.js';

/** A value at a step; null marks a gap (NaN / missing). */
export interface Point {
  step: number;
  value: number | null;
}

/** A metric over steps. */
export interface Series {
  name: string;
  points: Point[];
}

/** What one chart draws: lines (the first is the main one), and optionally a shaded band. */
export interface ChartSpec {
  /** The metric the chart is about (its accessible name). */
  name: string;
  lines: { label: string; points: readonly Point[]; style?: 'main' | 'base' }[];
  /** Drawn under the lines, between low and high at each step both have (e.g. mean ± std, min…max). */
  band?: { label: string; low: readonly Point[]; high: readonly Point[] };
}

const WIDTH = 460;
const HEIGHT = 210;
const MARGIN = { top: 10, right: 14, bottom: 26 };
/** Width of one tick-label character at the stylesheet's 11.5px (tabular digits), for the left margin. */
const CHAR_WIDTH = 7;

type Finite = { step: number; value: number };

function finite(points: readonly Point[]): Finite[] {
  return points.filter((p): p is Finite => p.value !== null && Number.isFinite(p.value));
}

/** The chart as `<svg>`; empty when nothing in it is finite. */
export function lineChartSvg(spec: ChartSpec): Html {
  const band = spec.band ? bandPoints(spec.band.low, spec.band.high) : [];
  const all = [...spec.lines.flatMap((l) => finite(l.points)), ...band.flatMap((b) => [{ step: b.step, value: b.low }, { step: b.step, value: b.high }])];
  if (all.length === 0) return html``;
  const steps = all.map((p) => p.step);
  const values = all.map((p) => p.value);
  const [minStep, maxStep] = [Math.min(...steps), Math.max(...steps)];
  const yTicks = niceTicks(Math.min(...values), Math.max(...values));
  const xTicks = niceTicks(minStep, maxStep, { count: 6, integer: true });
  const xShown = xTicks.values.map((v, i) => ({ v, label: xTicks.labels[i] })).filter((t) => t.v >= minStep && t.v <= maxStep);
  // The left margin fits the longest y label (10.817452 needs more room than 0.5).
  const left = 12 + CHAR_WIDTH * Math.max(3, ...yTicks.labels.map((l) => l.length));
  const x = scale(minStep, maxStep, left, WIDTH - MARGIN.right);
  const y = scale(yTicks.values[0], yTicks.values[yTicks.values.length - 1], HEIGHT - MARGIN.bottom, MARGIN.top);
  const xy = (p: Finite) => `${x(p.step).toFixed(1)},${y(p.value).toFixed(1)}`;
  const bottom = HEIGHT - MARGIN.bottom;

  const grid = yTicks.values.map((t, i) => html`<line x1="${left}" x2="${WIDTH - MARGIN.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="grid"/><text x="${left - 6}" y="${(y(t) + 3.5).toFixed(1)}" text-anchor="end" class="tick y">${yTicks.labels[i]}</text>`);
  const xLabels = xShown.map((t) => html`<text x="${x(t.v).toFixed(1)}" y="${bottom + 15}" text-anchor="middle" class="tick x">${t.label}</text>`);
  const bandPath = band.length > 0
    ? html`<path d="M${band.map((b) => xy({ step: b.step, value: b.high })).join('L')}L${[...band].reverse().map((b) => xy({ step: b.step, value: b.low })).join('L')}Z" class="band"><title>${spec.band?.label}</title></path>`
    : html``;
  const lines = spec.lines.map((line) => {
    const points = finite(line.points);
    const style = line.style ?? 'main';
    const window = style === 'main' ? smoothingWindow(points.length) : 0;
    // A long noisy main line is drawn faint, under its moving average.
    const paths = segments(line.points).map((s) => html`<path d="M${s.map(xy).join('L')}" class="line ${window > 0 ? 'raw' : style}"/>`);
    const smooth = window > 0 ? html`<path d="M${ema(points, window).map(xy).join('L')}" class="line main"/>` : html``;
    // Every point gets a dot with its value as a tooltip; a long series only its last one.
    const dotted = points.length <= SMOOTH_ABOVE ? points : points.slice(-1);
    const dots = dotted.map((p) => html`<circle cx="${x(p.step).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="2.4" class="dot ${style}"><title>${line.label} · step ${p.step}: ${formatNumber(p.value)}</title></circle>`);
    return html`${paths}${smooth}${dots}`;
  });
  return html`<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${spec.name} over steps">${grid}${bandPath}<line x1="${left}" x2="${WIDTH - MARGIN.right}" y1="${bottom}" y2="${bottom}" class="axis"/>${xLabels}${lines}</svg>`;
}

/** Series longer than this are drawn with a moving average over the raw line. */
const SMOOTH_ABOVE = 60;

/** Points the moving average of a main line of `n` points spans (0: not smoothed). */
export function smoothingWindow(n: number): number {
  return n > SMOOTH_ABOVE ? Math.max(5, Math.round(n / 30)) : 0;
}

/**
 * Exponential moving average over about `window` points, debiased at the start (as W&B and
 * TensorBoard smooth), so the first values are not pulled towards 0.
 */
function ema(points: readonly Finite[], window: number): Finite[] {
  const decay = 1 - 2 / (window + 1);
  let average = 0;
  return points.map((p, i) => {
    average = decay * average + (1 - decay) * p.value;
    return { step: p.step, value: average / (1 - decay ** (i + 1)) };
  });
}

/** Linear map from [d0, d1] to [r0, r1]; a zero-width domain maps to the middle of the range. */
function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/** Steps where both bounds are finite, in step order. */
function bandPoints(low: readonly Point[], high: readonly Point[]): { step: number; low: number; high: number }[] {
  const highAt = new Map(finite(high).map((p) => [p.step, p.value]));
  return finite(low)
    .filter((p) => highAt.has(p.step))
    .map((p) => ({ step: p.step, low: p.value, high: highAt.get(p.step) as number }))
    .sort((a, b) => a.step - b.step);
}

/** Splits points into runs of finite values so gaps are drawn as gaps. */
function segments(points: readonly Point[]): Finite[][] {
  const out: Finite[][] = [];
  let current: Finite[] = [];
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
