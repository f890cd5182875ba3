/**
 * The "log" phase: metrics with TRL's names, computed from a generation batch and the
 * micro-batch statistics, and their averaging over a logging window (TRL averages every metric
 * appended since the last log; cumulative ones such as num_tokens report their latest value).
 */
import type { CompletionRecord, Metrics } from '@grpojs/tracking';
import { rewardSummary } from './advantages.js';
import type { GenerationBatch } from './batch.js';
import { mean, nanMean, nanStd } from './stats.js';
import type { MicroBatchStats } from './train-step.js';

/** Metrics that report the latest value in a window instead of the mean (as HF Trainer logs them). */
const LATEST_VALUE_METRICS = new Set(['learning_rate', 'epoch', 'num_tokens', 'grad_norm']);

/** Metrics measured in wall-clock time; they differ between runs and are excluded from reproducibility checks. */
export const TIMING_METRICS = new Set(['step_time', 'step_time/generation', 'step_time/training', 'step_time/weight_sync']);

/** Tokens in the batch: prompt tokens + completion tokens of every row (TRL num_tokens increment). */
export function batchTokenCount(batch: GenerationBatch): number {
  const r = batch.rollout;
  return r.promptIds.reduce((s, ids) => s + ids.length, 0) + r.completionIds.reduce((s, ids) => s + ids.length, 0);
}

/** Completion-length and reward metrics of one generation batch. */
export function generationMetrics(batch: GenerationBatch, rewardNames: readonly string[]): Metrics {
  const r = batch.rollout;
  const lengths = r.completionIds.map((ids) => ids.length);
  const terminatedLengths = lengths.filter((_, i) => r.terminated[i]);
  const metrics: Metrics = {
    'completions/mean_length': mean(lengths),
    'completions/min_length': Math.min(...lengths),
    'completions/max_length': Math.max(...lengths),
    'completions/clipped_ratio': r.terminated.filter((t) => !t).length / Math.max(1, r.terminated.length),
    'completions/mean_terminated_length': mean(terminatedLengths),
    'completions/min_terminated_length': terminatedLengths.length ? Math.min(...terminatedLengths) : 0,
    'completions/max_terminated_length': terminatedLengths.length ? Math.max(...terminatedLengths) : 0,
  };
  rewardNames.forEach((name, k) => {
    metrics[`rewards/${name}/mean`] = nanMean(batch.rewardsPerFunction[k]);
    metrics[`rewards/${name}/std`] = nanStd(batch.rewardsPerFunction[k]);
  });
  Object.assign(metrics, rewardSummary(batch.rewards, batch.advantage));
  metrics.frac_reward_zero_std = batch.advantage.fracRewardZeroStd;
  return metrics;
}

/**
 * Token-level statistics of the micro-batches of one step, averaged as TRL does: each micro-batch
 * appends its value (low_min / high_max: the min / max over its rows) and the log averages them.
 */
export function lossMetrics(stats: readonly MicroBatchStats[]): Metrics {
  const metrics: Metrics = { loss: stats.reduce((s, x) => s + x.loss, 0) };
  const named: [string, keyof MicroBatchStats][] = [
    ['clip_ratio/low_mean', 'lowClip'],
    ['clip_ratio/low_min', 'lowClipMin'],
    ['clip_ratio/high_mean', 'highClip'],
    ['clip_ratio/high_max', 'highClipMax'],
    ['clip_ratio/region_mean', 'regionClip'],
    ['kl', 'kl'],
    ['entropy', 'entropy'],
    ['cispo_clip_ratio', 'cispoClip'],
    ['vespo/phi_seq_mean', 'phiSeq'],
    ['policy_loss', 'policyLoss'],
  ];
  for (const [name, key] of named) {
    const values = stats.flatMap((s) => (s[key] === null ? [] : [s[key]]));
    if (values.length) metrics[name] = mean(values);
  }
  return metrics;
}

/** Per-step metrics collected between two logs; `flush` returns the averaged log entry. */
export class MetricsWindow {
  private steps: Metrics[] = [];

  /** Adds the metrics of one optimizer step. */
  add(metrics: Metrics): void {
    this.steps.push(metrics);
  }

  /** Number of steps since the last flush. */
  get size(): number {
    return this.steps.length;
  }

  /** The averaged metrics of the window (NaN values skipped), then an empty window. */
  flush(): Metrics {
    const keys = new Set(this.steps.flatMap((m) => Object.keys(m)));
    const out: Metrics = {};
    for (const key of keys) {
      const values = this.steps.filter((m) => key in m).map((m) => m[key]);
      out[key] = LATEST_VALUE_METRICS.has(key) ? values[values.length - 1] : nanMean(values);
    }
    this.steps = [];
    return out;
  }

  /** The raw steps (for checkpoints: a resumed run logs the same averages). */
  snapshot(): Metrics[] {
    return this.steps.map((m) => ({ ...m }));
  }

  /** Restores a snapshot. */
  restore(steps: readonly Metrics[]): void {
    this.steps = steps.map((m) => ({ ...m }));
  }
}

/**
 * The records sent to the tracker at a log: with `uniquePrompts` only the first record of each
 * prompt (TRL log_unique_prompts), then at most `limit` of them.
 */
export function trackerCompletions(records: readonly CompletionRecord[], uniquePrompts: boolean, limit: number): CompletionRecord[] {
  const seen = new Set<string>();
  const kept = uniquePrompts ? records.filter((r) => !seen.has(r.prompt) && seen.add(r.prompt)) : records;
  return kept.slice(0, limit);
}

/** One CompletionRecord per row of the batch (for completions.jsonl and the tracker). */
export function completionRecords(batch: GenerationBatch, rewardNames: readonly string[], step: number): CompletionRecord[] {
  const r = batch.rollout;
  return r.completions.map((completion, i) => ({
    step,
    prompt: r.prompts[i],
    completion,
    rewards: Object.fromEntries(
      rewardNames.map((name, k) => [name, Number.isNaN(batch.rewardsPerFunction[k][i]) ? null : batch.rewardsPerFunction[k][i]]),
    ),
    advantage: batch.advantage.advantages[i],
  }));
}
