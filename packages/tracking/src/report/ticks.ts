/**
 * Axis ticks: round values (1, 2 or 5 × 10^k apart) covering a range, and labels with exactly the
 * decimals that spacing needs. Labels are derived from the spacing, not from the values' own
 * significant digits, so a narrow range such as entropy 10.8201 … 10.8234 reads 10.8200, 10.8205, …
 * instead of five labels that all round to "10.82".
 */

/** Tick values, their spacing and their labels (one per value, all different). */
export interface Ticks {
  values: number[];
  step: number;
  labels: string[];
}

/**
 * About `count` ticks covering [lo, hi] (either order). A range that is empty (or narrower than
 * doubles resolve at its magnitude) is widened by 10% of its value each side (±1 around 0 or a subnormal).
 * `integer` keeps the spacing at 1 or more (for step numbers).
 */
export function niceTicks(lo: number, hi: number, options: { count?: number; integer?: boolean } = {}): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`niceTicks: lo and hi must be finite numbers, got ${lo} and ${hi}`);
  const count = options.count ?? 5;
  if (lo > hi) [lo, hi] = [hi, lo];
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi));
  if (hi - lo <= Math.max(magnitude * 1e-12, 1e-300)) {
    const mid = (lo + hi) / 2;
    const pad = Math.abs(mid) < 1e-300 ? 1 : Math.abs(mid) * 0.1;
    [lo, hi] = [mid - pad, mid + pad];
  }
  // hi / count - lo / count rather than (hi - lo) / count: the difference of ±1e308 overflows.
  const rough = hi / count - lo / count;
  let exponent = Math.floor(Math.log10(rough));
  let multiple = [1, 2, 5, 10].find((m) => m * 10 ** exponent >= rough * (1 - 1e-9)) ?? 10;
  if (multiple === 10) [multiple, exponent] = [1, exponent + 1];
  if (options.integer && exponent < 0) [multiple, exponent] = [1, 0];
  const step = multiple * 10 ** exponent;
  // k × multiple is an exact integer and 10^-exponent an exact power of ten, so the division gives
  // the correctly rounded decimal (0.3, not 0.30000000000000004).
  const at = (k: number) => (exponent >= 0 ? k * multiple * 10 ** exponent : (k * multiple) / 10 ** -exponent);
  const values: number[] = [];
  for (let k = Math.floor(lo / step + 1e-9); k <= Math.ceil(hi / step - 1e-9); k += 1) {
    const value = at(k) + 0; // + 0 turns -0 into 0
    if (Number.isFinite(value)) values.push(value);
  }
  return { values, step, labels: tickLabels(values, exponent) };
}

/**
 * Labels with exactly the digits a spacing of 10^exponent needs, in fixed notation (10.820) or, when
 * that is clearly shorter, exponent form (5e+11, -3e-6). Either way the labels differ.
 */
function tickLabels(values: readonly number[], exponent: number): string[] {
  const fixed = values.map((v) => v.toFixed(Math.min(100, Math.max(0, -exponent))));
  const largest = Math.max(...values.map(Math.abs));
  const digits = Math.min(100, Math.max(0, Math.floor(Math.log10(largest)) - exponent));
  const scientific = values.map((v) => (v === 0 ? '0' : v.toExponential(digits)));
  const longest = (labels: string[]) => Math.max(...labels.map((l) => l.length));
  return longest(fixed) <= longest(scientific) + 2 ? fixed : scientific;
}
