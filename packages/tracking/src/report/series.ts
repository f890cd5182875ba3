/** Metric rows (metrics.jsonl) turned into per-metric series, and which of them never change. */
import type { Series } from './chart.js';

/** One line of metrics.jsonl: the step, a timestamp, and metric values (null where NaN/∞ was logged). */
export interface MetricRow {
  step: number;
  time?: string;
  [metric: string]: number | string | null | undefined;
}

/** Every metric with at least one finite value, as a series sorted by step, in first-logged order. */
export function collectSeries(rows: readonly MetricRow[]): Series[] {
  const byName = new Map<string, Series['points']>();
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (key === 'step' || key === 'time' || (typeof value !== 'number' && value !== null)) continue;
      const points = byName.get(key) ?? [];
      points.push({ step: row.step, value: typeof value === 'number' && Number.isFinite(value) ? value : null });
      byName.set(key, points);
    }
  }
  return [...byName.entries()]
    .filter(([, points]) => points.some((p) => p.value !== null))
    .map(([name, points]) => ({ name, points: points.sort((a, b) => a.step - b.step) }));
}

/**
 * The value of a series whose finite values are all the same (a chart of it would be a flat line,
 * e.g. a reward function that never fired), or undefined when it changes.
 */
export function constantValue(series: Series): number | undefined {
  const values = series.points.flatMap((p) => (p.value === null ? [] : [p.value]));
  return values.length > 0 && values.every((v) => v === values[0]) ? values[0] : undefined;
}
