/**
 * Evaluation as the reference pipeline reports it: greedy completions of the eval prompts, the
 * accuracy of an injected check (the umbrella passes GSM8K exact match; null = no accuracy) and
 * the mean of each reward function — for the fine-tuned model and for the base model (adapters off).
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
  model: EvalScores;
  base: EvalScores;
  /** Flat metrics with the `eval_` prefix (`eval_accuracy`, `eval_base_accuracy`, `eval_rewards/<fn>/mean`, …). */
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
}

/** Greedy-decodes every row and scores it. */
export async function evaluateModel(ctx: EvalContext, rows: readonly DatasetRow[]): Promise<EvalScores> {
  const parts: Rollout[] = [];
  for (let start = 0; start < rows.length; start += ctx.batchSize) {
    parts.push(
      await generateRollout(ctx.model, ctx.tokenizer, rows.slice(start, start + ctx.batchSize), {
        numGenerations: 1,
        maxPromptLength: ctx.maxPromptLength,
        maxCompletionLength: ctx.maxCompletionLength,
        sampling: null,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      }),
    );
  }
  const rollout = concatRollouts(parts);
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

/** Evaluates the fine-tuned model and (unless cached) the base model with adapters disabled. */
export async function evaluateWithBase(
  ctx: EvalContext,
  rows: readonly DatasetRow[],
  step: number,
  cachedBase: EvalScores | null,
): Promise<EvalReport> {
  const model = await evaluateModel(ctx, rows);
  const base = cachedBase ?? (await ctx.model.withAdaptersDisabled(() => evaluateModel(ctx, rows)));
  return { step, model, base, metrics: { ...evalMetrics(model, ''), ...evalMetrics(base, 'base_') } };
}
