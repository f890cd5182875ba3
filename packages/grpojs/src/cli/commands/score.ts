/**
 * `grpojs score completions.jsonl`: runs the reward suite over saved completions (one JSON
 * object per line with `completion`, and `answer` and `prompt` when known) and prints each reward
 * function's average, the weighted total and GSM8K exact-match accuracy — to compare models or
 * check a reward change without training. The trainer's own completions.jsonl has no `answer`
 * (its rows are step, prompt, completion, rewards, advantage): `--data` joins the gold answers by
 * the question each prompt holds; without it, the rewards that need an answer are skipped and named.
 */
import { readFile } from 'node:fs/promises';
import { combineRewards, defaultRewards, extractHashAnswer, gsm8kExactMatch, loadGsm8k, RewardInputError, type RewardFunction } from '../../index.js';
import { CliUsageError } from '../errors.js';

/** One scored file. */
export interface ScoreSummary {
  file: string;
  rows: number;
  /** Reward name → mean over rows where it applied (null = applied to none); skipped rewards are absent. */
  means: Record<string, number | null>;
  /** Mean of the per-row sum of the scored rewards (weights 1, NaN-aware as in the trainer). */
  total: number;
  /** Share of rows whose `<answer>` equals the gold answer; null when the rows have no answer. */
  accuracy: number | null;
  /** Rewards not scored because the rows have no `answer` (and no `--data` gave one). */
  skipped: string[];
}

/** Where gold answers come from for rows without one. */
export interface ScoreOptions {
  /** GSM8K data (file, folder or hub id) whose questions the rows' prompts hold. */
  data?: string;
  /** Split of `data` when it has several. Default 'train'. */
  split?: string;
}

interface Row {
  completion: string;
  /** null: the line has none (the trainer's completions.jsonl). */
  answer: string | null;
  prompt: string;
  line: number;
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
      if (typeof value?.[field] !== 'string' && (field === 'completion' || value?.[field] !== undefined)) {
        throw new CliUsageError(`score: ${file}:${i + 1}: field "${field}" must be a string; each line needs {"completion": "...", "answer": "..."}.`);
      }
    }
    const answer = typeof value.answer === 'string' ? value.answer : null;
    rows.push({
      completion: value.completion as string,
      // A full GSM8K solution ("... #### 72") is accepted as well as the bare final answer.
      answer: answer === null ? null : answer.includes('####') ? extractHashAnswer(answer) : answer.trim(),
      prompt: typeof value.prompt === 'string' ? value.prompt : '',
      line: i + 1,
    });
  });
  if (rows.length === 0) throw new CliUsageError(`score: ${file} has no rows.`);
  const missing = rows.find((r) => r.answer === null);
  if (missing !== undefined && rows.some((r) => r.answer !== null)) {
    throw new CliUsageError(`score: ${file}:${missing.line}: field "answer" must be a string (other lines have one); give every line an answer, or none and --data.`);
  }
  return rows;
}

/**
 * Fills each row's missing answer from the GSM8K row whose question its prompt holds (the prompt is
 * the rendered template around the question, whatever the format). Hand-written lookup: questions
 * are indexed by their first `key` characters, so each prompt is scanned once, not once per question.
 */
async function joinAnswers(file: string, rows: Row[], options: ScoreOptions & { data: string }): Promise<void> {
  const dataset = await loadGsm8k({ source: options.data, split: options.split ?? 'train' });
  const key = Math.min(32, ...dataset.rows.map((r) => r.question.length));
  const byKey = new Map<string, { question: string; answer: string }[]>();
  for (const { question, answer } of dataset.rows) {
    const head = question.slice(0, key);
    byKey.set(head, [...(byKey.get(head) ?? []), { question, answer }]);
  }
  const answerOf = new Map<string, string | null>();
  const lookup = (prompt: string): string | null => {
    let best: { question: string; answer: string } | null = null;
    for (let i = 0; i + key <= prompt.length; i++) {
      for (const candidate of byKey.get(prompt.slice(i, i + key)) ?? []) {
        if (prompt.startsWith(candidate.question, i) && candidate.question.length > (best?.question.length ?? -1)) best = candidate;
      }
    }
    return best?.answer ?? null;
  };
  for (const row of rows) {
    if (row.answer !== null) continue;
    if (!answerOf.has(row.prompt)) answerOf.set(row.prompt, lookup(row.prompt));
    row.answer = answerOf.get(row.prompt) ?? null;
    if (row.answer === null) {
      throw new CliUsageError(
        `score: ${file}:${row.line}: the prompt holds no question of ${options.data} (split ${dataset.split}); give the data and --split the run trained or evaluated on.`,
      );
    }
  }
}

/**
 * Scores every row with `rewards` (default: the seven default rewards). Rows without an answer get
 * one from `options.data`; without it, a reward that needs the answer column (it throws
 * RewardInputError) is skipped and listed in `skipped`.
 */
export async function scoreFile(file: string, rewards: readonly RewardFunction[] = defaultRewards, options: ScoreOptions = {}): Promise<ScoreSummary> {
  const rows = await readRows(file);
  if (options.data !== undefined && rows.some((r) => r.answer === null)) await joinAnswers(file, rows, { ...options, data: options.data });
  const answers = rows.every((r) => r.answer !== null) ? rows.map((r) => r.answer as string) : null;
  const completions = rows.map((r) => r.completion);
  const ctx = { prompts: rows.map((r) => r.prompt), completionIds: rows.map(() => []), ...(answers === null ? {} : { answer: answers }) };
  const means: Record<string, number | null> = {};
  const skipped: string[] = [];
  const perFunction: number[][] = [];
  for (const reward of rewards) {
    const name = reward.rewardName ?? reward.name;
    let values: (number | null)[];
    try {
      values = (await reward(completions, ctx)) as (number | null)[];
    } catch (error) {
      if (answers === null && error instanceof RewardInputError) {
        skipped.push(name);
        continue;
      }
      throw error;
    }
    // null means "not applicable" (NaN, as the trainer treats it): left out of the means.
    perFunction.push(values.map((v) => (v === null ? Number.NaN : v)));
    means[name] = nanMean(perFunction[perFunction.length - 1]);
  }
  const accuracy = answers === null ? null : rows.filter((r, i) => gsm8kExactMatch(r.completion, { prompt: r.prompt, answer: answers[i] })).length / rows.length;
  const totals = combineRewards(perFunction, perFunction.map(() => 1));
  return { file, rows: rows.length, means, total: nanMean(totals) ?? Number.NaN, accuracy, skipped };
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
    ...(summary.skipped.length > 0 ? [`  skipped (no answer column; give --data to join the answers): ${summary.skipped.join(', ')}`] : []),
  ].join('\n');
}
