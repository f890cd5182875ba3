/**
 * The fine-tuned vs base evaluation table: printed by the console tracker at each eval step and by
 * the CLI's `train` (final evaluation) and `eval` commands, so all three read the same.
 */
import type { Metrics } from './tracker.js';

/** One model's evaluation scores (the shape of @grpojs/rl's EvalScores, which it satisfies). */
export interface ComparisonScores {
  /** Exact-match accuracy, or null when the rows carry no answers. */
  accuracy: number | null;
  /** Mean weighted total reward. */
  reward: number;
  /** Mean completion length in tokens. */
  meanCompletionLength: number;
  /** Each reward function's mean, by name. */
  rewards: Readonly<Record<string, number>>;
  /** Rows evaluated; when given, the title says `(N samples, greedy)`. */
  samples?: number;
}

const COLUMN = 10; // 'fine-tuned'.length; values print as toFixed(4) in the same width

/**
 * `title`, then rows accuracy, reward, completion length and each `rewards/<name>`, in columns
 * fine-tuned | base; without `base` (none was evaluated) the base column is left out.
 */
export function formatComparison(model: ComparisonScores, base: ComparisonScores | null, title: string): string {
  const rows: [string, number | null, number | null][] = [
    ['accuracy', model.accuracy, base?.accuracy ?? null],
    ['reward', model.reward, base?.reward ?? null],
    ['completion length', model.meanCompletionLength, base?.meanCompletionLength ?? null],
    ...Object.keys(model.rewards).map((name): [string, number | null, number | null] => [`rewards/${name}`, model.rewards[name], base?.rewards[name] ?? null]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const fmt = (v: number | null) => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(4)).padStart(COLUMN);
  const line = (name: string, cells: string[]) => `  ${name.padEnd(width)}  ${cells.join('  ')}`;
  return [
    model.samples === undefined ? title : `${title} (${model.samples} samples, greedy)`,
    line('', base === null ? ['fine-tuned'.padStart(COLUMN)] : ['fine-tuned'.padStart(COLUMN), 'base'.padStart(COLUMN)]),
    ...rows.map(([name, m, b]) => line(name, base === null ? [fmt(m)] : [fmt(m), fmt(b)])),
  ].join('\n');
}

/** Whether `key` is one of the `eval_` metrics the table shows (fine-tuned or base). */
export function isComparisonMetric(key: string): boolean {
  return /^eval_(base_)?(reward|accuracy|completions\/mean_length|rewards\/.+\/mean)$/s.test(key);
}

/**
 * Reads one model's scores back from the flat `eval_` metrics the trainer logs (`infix` '' for the
 * fine-tuned model, 'base_' for the base): `eval_<infix>reward`, `eval_<infix>accuracy`,
 * `eval_<infix>completions/mean_length`, `eval_<infix>rewards/<name>/mean`. Null without a reward.
 */
export function scoresFromEvalMetrics(metrics: Metrics, infix: '' | 'base_'): ComparisonScores | null {
  const prefix = `eval_${infix}`;
  const reward = metrics[`${prefix}reward`];
  if (reward === undefined) return null;
  const rewards: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics)) {
    const name = /^rewards\/(.+)\/mean$/s.exec(key.startsWith(prefix) ? key.slice(prefix.length) : '')?.[1];
    if (name !== undefined) rewards[name] = value;
  }
  return {
    accuracy: metrics[`${prefix}accuracy`] ?? null,
    reward,
    meanCompletionLength: metrics[`${prefix}completions/mean_length`] ?? Number.NaN,
    rewards,
  };
}
