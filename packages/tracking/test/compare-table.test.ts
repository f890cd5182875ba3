import { describe, expect, it } from 'vitest';
import { formatComparison, scoresFromEvalMetrics, type ComparisonScores } from '../src/index.js';

const model: ComparisonScores = { accuracy: 0.25, reward: 1.5, meanCompletionLength: 32, rewards: { correctness: 0.5, repetition: -0.5 }, samples: 4 };
const base: ComparisonScores = { accuracy: 0, reward: 1.32, meanCompletionLength: 31.5, rewards: { correctness: 0, repetition: Number.NaN }, samples: 4 };

describe('formatComparison', () => {
  it('aligns accuracy, reward, completion length and each reward under fine-tuned | base', () => {
    expect(formatComparison(model, base, 'Final evaluation at step 8 on test').split('\n')).toEqual([
      'Final evaluation at step 8 on test (4 samples, greedy)',
      '                       fine-tuned        base',
      '  accuracy                 0.2500      0.0000',
      '  reward                   1.5000      1.3200',
      '  completion length       32.0000     31.5000',
      '  rewards/correctness      0.5000      0.0000',
      '  rewards/repetition      -0.5000         n/a',
    ]);
  });

  it('leaves the base column out without base scores, and the sample count out when unknown', () => {
    const { samples: _, ...unsized } = model;
    expect(formatComparison({ ...unsized, accuracy: null }, null, 'step 3 · evaluation').split('\n')).toEqual([
      'step 3 · evaluation',
      '                       fine-tuned',
      '  accuracy                    n/a',
      '  reward                   1.5000',
      '  completion length       32.0000',
      '  rewards/correctness      0.5000',
      '  rewards/repetition      -0.5000',
    ]);
  });
});

describe('scoresFromEvalMetrics', () => {
  const metrics = {
    eval_reward: 1.5,
    eval_accuracy: 0.25,
    'eval_completions/mean_length': 32,
    'eval_rewards/correctness/mean': 0.5,
    eval_base_reward: 1.32,
    'eval_base_completions/mean_length': 31.5,
    'eval_base_rewards/correctness/mean': 0,
  };

  it("reads the fine-tuned ('') and base ('base_') scores apart from the trainer's eval_ metrics", () => {
    expect(scoresFromEvalMetrics(metrics, '')).toEqual({ accuracy: 0.25, reward: 1.5, meanCompletionLength: 32, rewards: { correctness: 0.5 } });
    expect(scoresFromEvalMetrics(metrics, 'base_')).toEqual({ accuracy: null, reward: 1.32, meanCompletionLength: 31.5, rewards: { correctness: 0 } });
  });

  it('is null without an eval reward', () => {
    expect(scoresFromEvalMetrics({ eval_accuracy: 0.5 }, '')).toBeNull();
    expect(scoresFromEvalMetrics({ eval_reward: 1 }, 'base_')).toBeNull();
  });
});
