/**
 * NaN-aware statistics on plain number arrays (rewards are small host arrays, no tensors needed).
 * NaN marks "not applicable" rewards and is skipped, as torch.nanmean / TRL's nanstd do.
 */

/** Mean of the non-NaN values; NaN when there are none. */
export function nanMean(values: readonly number[]): number {
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (!Number.isNaN(v)) {
      sum += v;
      count++;
    }
  }
  return count === 0 ? Number.NaN : sum / count;
}

/** Sample standard deviation (Bessel, N−1) of the non-NaN values; NaN with fewer than 2 values. */
export function nanStd(values: readonly number[]): number {
  const mean = nanMean(values);
  let sq = 0;
  let count = 0;
  for (const v of values) {
    if (!Number.isNaN(v)) {
      sq += (v - mean) ** 2;
      count++;
    }
  }
  return count < 2 ? Number.NaN : Math.sqrt(sq / (count - 1));
}

/** Plain mean; 0 for an empty array (for metrics such as lengths that always exist). */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
