/** Formats a fine-tuned vs base evaluation as the aligned table `train` and `eval` print. */
import type { EvalScores } from 'grpojs';

/** Rows: accuracy, total reward, mean length, then each reward function's mean. */
export function formatComparison(model: EvalScores, base: EvalScores, title: string): string {
  const rows: [string, number | null, number | null][] = [
    ['accuracy', model.accuracy, base.accuracy],
    ['reward', model.reward, base.reward],
    ['completion length', model.meanCompletionLength, base.meanCompletionLength],
    ...Object.keys(model.rewards).map((name): [string, number | null, number | null] => [`rewards/${name}`, model.rewards[name], base.rewards[name] ?? null]),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const fmt = (v: number | null) => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(4)).padStart(10);
  return [
    `${title} (${model.samples} samples, greedy)`,
    `  ${''.padEnd(width)}  ${'fine-tuned'.padStart(10)}  ${'base'.padStart(10)}`,
    ...rows.map(([name, m, b]) => `  ${name.padEnd(width)}  ${fmt(m)}  ${fmt(b)}`),
  ].join('\n');
}
