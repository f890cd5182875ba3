/** The metric-range assertions the trainer tests use (helpers/metric-ranges.ts) reject what they must: NaN above all. */
import { describe, expect, it } from 'vitest';
import { expectPlausibleEvalMetrics, expectPlausibleStepMetrics } from './helpers/metric-ranges.js';

const bounds = { reward: [0, 4] as [number, number], perFunction: { count_a: [0, 4] as [number, number] }, maxCompletionLength: 4, vocabSize: 6 };
const good: Record<string, number> = {
  loss: -0.02, grad_norm: 0.3, learning_rate: 1e-3, epoch: 0.25, num_tokens: 40, reward: 1.5, reward_std: 0.7, frac_reward_zero_std: 0.5,
  'rewards/count_a/mean': 1.5, 'rewards/count_a/std': 1.1, 'completions/mean_length': 3, 'completions/min_length': 1,
  'completions/max_length': 4, 'completions/clipped_ratio': 0.25, 'completions/mean_terminated_length': 2.5, kl: 0.01,
  entropy: 1.2, 'clip_ratio/low_mean': 0, 'clip_ratio/high_mean': 0.1, 'clip_ratio/region_mean': 0.1, step_time: 0.2, skipped_nonfinite: 0,
};

describe('expectPlausibleStepMetrics', () => {
  it('accepts plausible metrics', () => {
    expectPlausibleStepMetrics(good, bounds);
  });

  for (const [name, value] of [
    ['loss', Number.NaN], ['reward', Number.NaN], ['kl', Number.NaN], ['grad_norm', Number.POSITIVE_INFINITY], ['kl', -1e-3],
    ['clip_ratio/high_mean', 1.5], ['completions/clipped_ratio', -0.1], ['completions/max_length', 5], ['reward', 4.5],
    ['rewards/count_a/mean', -1], ['entropy', Math.log(6) + 0.1], ['num_tokens', 40.5], ['grad_norm', -1],
  ] as [string, number][]) {
    it(`rejects ${name} = ${value}`, () => {
      expect(() => expectPlausibleStepMetrics({ ...good, [name]: value }, bounds)).toThrow();
    });
  }

  it('rejects a missing core metric', () => {
    const { reward: _, ...rest } = good;
    expect(() => expectPlausibleStepMetrics(rest, bounds)).toThrow();
  });
});

describe('expectPlausibleEvalMetrics', () => {
  it('accepts accuracy in [0, 1] and rejects NaN or more than 1', () => {
    expectPlausibleEvalMetrics({ eval_accuracy: 0.5, eval_base_accuracy: 0, eval_reward: 2, 'eval_rewards/count_a/mean': 2 }, bounds);
    expect(() => expectPlausibleEvalMetrics({ eval_accuracy: Number.NaN }, bounds)).toThrow();
    expect(() => expectPlausibleEvalMetrics({ eval_base_accuracy: 1.2 }, bounds)).toThrow();
    expect(() => expectPlausibleEvalMetrics({ 'eval_completions/mean_length': 9 }, bounds)).toThrow();
  });
});
