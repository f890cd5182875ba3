/**
 * `grpojs score completions.jsonl`: runs the reward suite over saved completions (one JSON
 * object per line with `completion` and `answer`, optionally `prompt`) and prints each reward
 * function's average, the weighted total and GSM8K exact-match accuracy — to compare models or
 * check a reward change without training.
 */
import { readFile } from 'node:fs/promises';
import { combineRewards, defaultRewards, extractHashAnswer, gsm8kExactMatch, type RewardFunction } from 'grpojs';
import { CliUsageError } from '../errors.js';

/** One scored file. */
export interface ScoreSummary {
  file: string;
  rows: number;
  /** Reward name → mean over rows where it applied (null = applied to none). */
  means: Record<string, number | null>;
  /** Mean of the per-row sum of the rewards (weights 1, NaN-aware as in the trainer). */
  total: number;
  /** Share of rows whose `<answer>` equals the gold answer. */
  accuracy: number;
}

interface Row {
  completion: string;
  answer: string;
  prompt: string;
}

/** Reads and checks the JSONL; errors name the file, line and field. */
async function readRows(file: string): Promise<Row[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliUsageError(`score: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
  const rows: Row[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      throw new CliUsageError(`score: ${file}:${i + 1}: not valid JSON (${(error as Error).message}).`);
    }
    for (const field of ['completion', 'answer'] as const) {
      if (typeof value?.[field] !== 'string') {
        throw new CliUsageError(`score: ${file}:${i + 1}: field "${field}" must be a string; each line needs {"completion": "...", "answer": "..."}.`);
      }
    }
    const answer = value.answer as string;
    // A full GSM8K solution ("... #### 72") is accepted as well as the bare final answer.
    rows.push({ completion: value.completion as string, answer: answer.includes('####') ? extractHashAnswer(answer) : answer.trim(), prompt: typeof value.prompt === 'string' ? value.prompt : '' });
  });
  if (rows.length === 0) throw new CliUsageError(`score: ${file} has no rows.`);
  return rows;
}

/** Scores every row with `rewards` (default: the seven default rewards). */
export async function scoreFile(file: string, rewards: readonly RewardFunction[] = defaultRewards): Promise<ScoreSummary> {
  const rows = await readRows(file);
  const completions = rows.map((r) => r.completion);
  const ctx = { prompts: rows.map((r) => r.prompt), completionIds: rows.map(() => []), answer: rows.map((r) => r.answer) };
  const means: Record<string, number | null> = {};
  const perFunction: number[][] = [];
  for (const reward of rewards) {
    // null means "not applicable" (NaN, as the trainer treats it): left out of the means.
    const values = ((await reward(completions, ctx)) as (number | null)[]).map((v) => (v === null ? Number.NaN : v));
    perFunction.push(values);
    means[reward.rewardName ?? reward.name] = nanMean(values);
  }
  const correct = rows.filter((r) => gsm8kExactMatch(r.completion, r)).length;
  const totals = combineRewards(perFunction, rewards.map(() => 1));
  return { file, rows: rows.length, means, total: nanMean(totals) ?? Number.NaN, accuracy: correct / rows.length };
}

/** Mean of the finite values; null when there are none. */
function nanMean(values: readonly number[]): number | null {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? null : finite.reduce((a, b) => a + b, 0) / finite.length;
}

/** The summary as aligned text lines. */
export function formatScore(summary: ScoreSummary): string {
  const names = [...Object.keys(summary.means), 'total', 'accuracy'];
  const width = Math.max(...names.map((n) => n.length));
  const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
  return [
    `${summary.file}: ${summary.rows} completions`,
    ...Object.entries(summary.means).map(([name, v]) => `  ${name.padEnd(width)}  ${fmt(v)}`),
    `  ${'total'.padEnd(width)}  ${fmt(summary.total)}`,
    `  ${'accuracy'.padEnd(width)}  ${fmt(summary.accuracy)}`,
  ].join('\n');
}
