/**
 * The report's headline: the latest evaluation of the fine-tuned model next to the base model,
 * the same rows as the console's table (compare-table.ts), read back from the `eval_` metrics the
 * trainer logs (`eval_reward`, `eval_base_reward`, `eval_rewards/<name>/mean`, …).
 */
import { scoresFromEvalMetrics, type ComparisonScores } from '../compare-table.js';
import type { Metrics } from '../tracker.js';
import { html, type Html } from './escape.js';
import type { MetricRow } from './series.js';

/** The latest evaluation: its step (null when only summary.json had it), and both models' scores. */
export interface LatestEval {
  step: number | null;
  model: ComparisonScores;
  base: ComparisonScores | null;
  /** How many evaluations metrics.jsonl holds. */
  count: number;
}

/** The last metrics row with `eval_reward`, else the eval values in the summary; null when neither has one. */
export function latestEval(rows: readonly MetricRow[], summary: Record<string, unknown> | undefined): LatestEval | null {
  const evalRows = rows.filter((r) => typeof r.eval_reward === 'number');
  const last = evalRows.at(-1);
  const numbers = numeric(last ?? summary ?? {});
  const model = scoresFromEvalMetrics(numbers, '');
  if (model === null) return null;
  return { step: last?.step ?? null, model, base: scoresFromEvalMetrics(numbers, 'base_'), count: evalRows.length };
}

function numeric(values: Record<string, unknown>): Metrics {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

type Kind = 'accuracy' | 'score' | 'length';

/** The fine-tuned | base | change table. */
export function evalTable(latest: LatestEval): Html {
  const { model, base } = latest;
  const rows: [string, number | null, number | null, Kind][] = [
    ['accuracy', model.accuracy, base?.accuracy ?? null, 'accuracy'],
    ['reward', model.reward, base?.reward ?? null, 'score'],
    ['completion length', model.meanCompletionLength, base?.meanCompletionLength ?? null, 'length'],
    ...Object.keys(model.rewards).map((name): [string, number | null, number | null, Kind] => [`rewards/${name}`, model.rewards[name], base?.rewards[name] ?? null, 'score']),
  ];
  const body = rows
    .filter(([, m, b]) => m !== null || b !== null)
    .map(([label, m, b, kind]) => {
      const change = m !== null && b !== null && Number.isFinite(m) && Number.isFinite(b) ? m - b : null;
      const trend = change === null || change === 0 || kind === 'length' ? 'same' : change > 0 ? 'up' : 'down';
      return html`<tr${label === 'accuracy' || label === 'reward' ? html` class="key"` : html``}><th>${label}</th><td class="num">${cell(m, kind)}</td>${base === null ? html`` : html`<td class="num">${cell(b, kind)}</td><td class="num ${trend}">${delta(change, kind)}</td>`}</tr>`;
    });
  return html`<table class="eval"><thead><tr><th></th><th class="num">fine-tuned</th>${base === null ? html`` : html`<th class="num">base</th><th class="num">change</th>`}</tr></thead><tbody>${body}</tbody></table>`;
}

function cell(value: number | null, kind: Kind): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  if (kind === 'accuracy') return `${(value * 100).toFixed(1)}%`;
  return value.toFixed(kind === 'length' ? 1 : 4);
}

function delta(change: number | null, kind: Kind): string {
  if (change === null) return '';
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  const magnitude = Math.abs(change);
  if (kind === 'accuracy') return `${sign}${(magnitude * 100).toFixed(1)} pts`;
  return `${sign}${magnitude.toFixed(kind === 'length' ? 1 : 4)}`;
}
