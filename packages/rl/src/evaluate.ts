/**
 * Evaluation as the reference pipeline reports it: greedy completions of the eval prompts, the
 * accuracy of an injected check (the umbrella passes GSM8K exact match; null = no accuracy) and
 * the mean of each reward function — for the fine-tuned model and for the base model (adapters off).
 * Prompts are decoded batchSize at a time through the same generate (and native decode engine) as
 * the rollouts, grouped by prompt length so a batch carries little left padding; greedy decoding of
 * a left-padded batch gives each row the completion it gets alone, so grouping changes no result.
 */
import type { RewardFunction } from '@grpojs/rewards';
import type { Metrics } from '@grpojs/tracking';
import { combineRewards } from './advantages.js';
import { concatRollouts, generateRollout, type Rollout } from './generation.js';
import type { PolicyModel } from './policy-model.js';
import { scoreRollout } from './scoring.js';
import { mean, nanMean } from './stats.js';
import type { DatasetRow, TrainerTokenizer } from './types.js';

/**
 * Whether a completion answers its row correctly, e.g. GSM8K exact match of the predicted final
 * answer against the row's gold `answer` (what the grpojs umbrella passes). Called once per
 * evaluated row with its greedy completion (decoded, special tokens skipped).
 */
export type AccuracyCheck = (completion: string, row: DatasetRow) => boolean;

/** Scores of one model on the eval set. */
export interface EvalScores {
  /** Share of rows the accuracy check accepts; null without a check (or without rows). */
  accuracy: number | null;
  /** Mean of each reward function (NaN values skipped), by metric name. */
  rewards: Record<string, number>;
  /** Mean weighted total reward. */
  reward: number;
  /** Mean completion length in tokens. */
  meanCompletionLength: number;
  /** Rows evaluated. */
  samples: number;
}

/** The evaluation of the fine-tuned model and the base model at one step. */
export interface EvalReport {
  /** Optimizer steps done when evaluated. */
  step: number;
  /** Wall-clock seconds the evaluation took (the base model's included when it was not cached). */
  seconds: number;
  model: EvalScores;
  base: EvalScores;
  /**
   * Flat metrics with the `eval_` prefix (`eval_accuracy`, `eval_base_accuracy`, `eval_rewards/<fn>/mean`, …)
   * and `eval_samples`, the rows evaluated (as in transformers' example scripts), which tells a
   * periodic evaluation on a sample (periodicEvalSamples) from one on every row.
   */
  metrics: Metrics;
}

/** What evaluation needs. */
export interface EvalContext {
  model: PolicyModel;
  tokenizer: TrainerTokenizer;
  rewardFunctions: readonly RewardFunction[];
  rewardNames: readonly string[];
  rewardWeights: readonly number[];
  /** The accuracy check; null = no accuracy (no `eval_accuracy` metrics). */
  isCorrect: AccuracyCheck | null;
  maxPromptLength: number | null;
  maxCompletionLength: number;
  batchSize: number;
  /** Passed to model.generate: an abort rejects the evaluation between decode steps. */
  signal?: AbortSignal;
  /**
   * Called when an evaluation starts (`done` 0) and after each generate call: greedy completions
   * generated so far and in all (evaluateWithBase counts the base model's too).
   */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Row indices ordered by prompt length (characters, a cheap stand-in for tokens; ties keep row
 * order), so each batch of consecutive indices holds prompts of similar length.
 */
export function lengthOrder(rows: readonly DatasetRow[]): number[] {
  return rows.map((_, i) => i).sort((a, b) => rows[a].prompt.length - rows[b].prompt.length || a - b);
}

/** The rows of `rollout` (row k = source row order[k]) put back in source order. */
function inSourceOrder(rollout: Rollout, order: readonly number[]): Rollout {
  const at = new Array<number>(order.length);
  order.forEach((source, k) => (at[source] = k));
  const pick = <T>(values: readonly T[]): T[] => at.map((k) => values[k]);
  return {
    prompts: pick(rollout.prompts),
    promptIds: pick(rollout.promptIds),
    completionIds: pick(rollout.completionIds),
    completions: pick(rollout.completions),
    terminated: pick(rollout.terminated),
    columns: Object.fromEntries(Object.entries(rollout.columns).map(([key, values]) => [key, pick(values)])),
  };
}

/**
 * Greedy-decodes every row (batchSize rows per generate call, grouped by prompt length) and
 * scores it. `progress` places this model's completions within a larger evaluation for onProgress.
 */
export async function evaluateModel(
  ctx: EvalContext,
  rows: readonly DatasetRow[],
  progress: { before: number; total: number } = { before: 0, total: rows.length },
): Promise<EvalScores> {
  const order = lengthOrder(rows);
  const parts: Rollout[] = [];
  let done = 0;
  for (let start = 0; start < rows.length; start += ctx.batchSize) {
    const batch = order.slice(start, start + ctx.batchSize).map((i) => rows[i]);
    parts.push(
      await generateRollout(ctx.model, ctx.tokenizer, batch, {
        numGenerations: 1,
        maxPromptLength: ctx.maxPromptLength,
        maxCompletionLength: ctx.maxCompletionLength,
        sampling: null,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      }),
    );
    done += batch.length;
    ctx.onProgress?.(progress.before + done, progress.total);
  }
  const rollout = inSourceOrder(concatRollouts(parts), order);
  const perFunction = await scoreRollout(ctx.rewardFunctions, ctx.rewardNames, rollout);
  const check = ctx.isCorrect;
  const accuracy = check !== null && rows.length > 0 ? rollout.completions.filter((c, i) => check(c, rows[i])).length / rows.length : null;
  return {
    accuracy,
    rewards: Object.fromEntries(ctx.rewardNames.map((name, k) => [name, nanMean(perFunction[k])])),
    reward: nanMean(combineRewards(perFunction, ctx.rewardWeights)),
    meanCompletionLength: mean(rollout.completionIds.map((ids) => ids.length)),
    samples: rows.length,
  };
}

/** Flattens scores into `eval_` metrics; `infix` is '' for the fine-tuned model, 'base_' for the base. */
export function evalMetrics(scores: EvalScores, infix: '' | 'base_'): Metrics {
  const metrics: Metrics = {
    [`eval_${infix}reward`]: scores.reward,
    [`eval_${infix}completions/mean_length`]: scores.meanCompletionLength,
  };
  if (scores.accuracy !== null) metrics[`eval_${infix}accuracy`] = scores.accuracy;
  for (const [name, value] of Object.entries(scores.rewards)) metrics[`eval_${infix}rewards/${name}/mean`] = value;
  return metrics;
}

/**
 * Evaluates the fine-tuned model and (unless `cachedBase` holds the base model's scores on these
 * rows) the base model with adapters disabled; onProgress counts both.
 */
export async function evaluateWithBase(
  ctx: EvalContext,
  rows: readonly DatasetRow[],
  step: number,
  cachedBase: EvalScores | null,
): Promise<EvalReport> {
  const started = performance.now();
  const total = rows.length * (cachedBase === null ? 2 : 1);
  ctx.onProgress?.(0, total);
  const model = await evaluateModel(ctx, rows, { before: 0, total });
  const base = cachedBase ?? (await ctx.model.withAdaptersDisabled(() => evaluateModel(ctx, rows, { before: rows.length, total })));
  const metrics = { ...evalMetrics(model, ''), ...evalMetrics(base, 'base_'), eval_samples: rows.length };
  return { step, seconds: (performance.now() - started) / 1000, model, base, metrics };
}
