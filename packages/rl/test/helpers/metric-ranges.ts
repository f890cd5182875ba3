/**
 * Assertions that a step's logged metrics are not just numbers but plausible ones: every value
 * finite (NaN fails), and each metric inside the range its definition allows (TRL names, see
 * docs/rl.md): reward within the reward functions' bounds, kl ≥ 0, ratios in [0, 1], completion
 * lengths in [0, maxCompletionLength]. Used by the trainer tests instead of `toBeTypeOf('number')`.
 */
import { expect } from 'vitest';

/** What the ranges depend on. */
export interface MetricBounds {
  /** [min, max] of the weighted total reward of one completion. */
  reward: [number, number];
  /** [min, max] of each reward function, by its metric name. */
  perFunction?: Record<string, [number, number]>;
  maxCompletionLength: number;
  /** Vocabulary size: the entropy is at most log(V). */
  vocabSize?: number;
}

const inRange = (value: number, [lo, hi]: [number, number], name: string) => {
  expect(value, name).toBeGreaterThanOrEqual(lo);
  expect(value, name).toBeLessThanOrEqual(hi);
};

/** Checks one optimizer step's metrics (TrainResult.stepMetrics[i] or a logged window mean). */
export function expectPlausibleStepMetrics(m: Record<string, number>, b: MetricBounds): void {
  for (const [name, value] of Object.entries(m)) expect(Number.isFinite(value), `${name} = ${value} must be a finite number`).toBe(true);
  for (const name of ['loss', 'grad_norm', 'learning_rate', 'epoch', 'num_tokens', 'reward', 'reward_std', 'frac_reward_zero_std',
    'completions/mean_length', 'completions/min_length', 'completions/max_length', 'completions/clipped_ratio', 'step_time']) {
    expect(m, `metric ${name}`).toHaveProperty([name]);
  }
  expect(m.grad_norm, 'grad_norm').toBeGreaterThanOrEqual(0);
  expect(m.learning_rate, 'learning_rate').toBeGreaterThanOrEqual(0);
  expect(m.epoch, 'epoch').toBeGreaterThan(0);
  expect(m.num_tokens, 'num_tokens').toBeGreaterThan(0);
  expect(Number.isInteger(m.num_tokens), 'num_tokens is a count').toBe(true);
  inRange(m.reward, b.reward, 'reward');
  expect(m.reward_std, 'reward_std').toBeGreaterThanOrEqual(0);
  for (const [fn, range] of Object.entries(b.perFunction ?? {})) {
    inRange(m[`rewards/${fn}/mean`], range, `rewards/${fn}/mean`);
    expect(m[`rewards/${fn}/std`], `rewards/${fn}/std`).toBeGreaterThanOrEqual(0);
    expect(m[`rewards/${fn}/std`], `rewards/${fn}/std`).toBeLessThanOrEqual(range[1] - range[0]);
  }
  for (const name of ['frac_reward_zero_std', 'completions/clipped_ratio', 'clip_ratio/low_mean', 'clip_ratio/low_min', 'clip_ratio/high_mean',
    'clip_ratio/high_max', 'clip_ratio/region_mean', 'frac_groups_dropped']) {
    if (name in m) inRange(m[name], [0, 1], name);
  }
  const lengths: [number, number] = [0, b.maxCompletionLength];
  for (const name of ['completions/mean_length', 'completions/min_length', 'completions/max_length', 'completions/mean_terminated_length',
    'completions/min_terminated_length', 'completions/max_terminated_length']) {
    if (name in m) inRange(m[name], lengths, name);
  }
  expect(m['completions/min_length']).toBeLessThanOrEqual(m['completions/mean_length']);
  expect(m['completions/mean_length']).toBeLessThanOrEqual(m['completions/max_length']);
  if ('kl' in m) expect(m.kl, 'kl (k3 estimate)').toBeGreaterThanOrEqual(0);
  if ('entropy' in m) inRange(m.entropy, [0, b.vocabSize ? Math.log(b.vocabSize) + 1e-4 : Number.MAX_VALUE], 'entropy');
  for (const name of ['step_time', 'step_time/generation', 'step_time/training']) if (name in m) expect(m[name], name).toBeGreaterThanOrEqual(0);
  if ('skipped_nonfinite' in m) expect([0, 1]).toContain(m.skipped_nonfinite);
}

/** Checks an evaluation's metrics: every value finite, accuracies in [0, 1], rewards within their bounds. */
export function expectPlausibleEvalMetrics(m: Record<string, number>, b: Pick<MetricBounds, 'reward' | 'perFunction' | 'maxCompletionLength'>): void {
  for (const [name, value] of Object.entries(m)) expect(Number.isFinite(value), `${name} = ${value} must be a finite number`).toBe(true);
  for (const prefix of ['eval_', 'eval_base_']) {
    if (`${prefix}accuracy` in m) inRange(m[`${prefix}accuracy`], [0, 1], `${prefix}accuracy`);
    if (`${prefix}reward` in m) inRange(m[`${prefix}reward`], b.reward, `${prefix}reward`);
    const length = `${prefix}completions/mean_length`;
    if (length in m) inRange(m[length], [0, b.maxCompletionLength], length);
    for (const [fn, range] of Object.entries(b.perFunction ?? {})) {
      if (`${prefix}rewards/${fn}/mean` in m) inRange(m[`${prefix}rewards/${fn}/mean`], range, `${prefix}rewards/${fn}/mean`);
    }
  }
}
