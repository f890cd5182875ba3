import { describe, expect, it } from 'vitest';
import { learningRateAt, resolveWarmupSteps } from '../src/schedule.js';

describe('learning-rate schedules (transformers get_scheduler)', () => {
  it('linear with warmup', () => {
    const o = { type: 'linear' as const, learningRate: 1, warmupSteps: 2, totalSteps: 10 };
    expect([0, 1, 2, 3, 6, 10].map((s) => learningRateAt(s, o))).toEqual([0, 0.5, 1, 7 / 8, 0.5, 0]);
  });
  it('linear without warmup decays from the peak at step 0', () => {
    const o = { type: 'linear' as const, learningRate: 1e-5, warmupSteps: 0, totalSteps: 4 };
    expect(learningRateAt(0, o)).toBe(1e-5);
    expect(learningRateAt(3, o)).toBeCloseTo(0.25e-5, 20);
  });
  it('cosine: half cycle to 0 after warmup', () => {
    const o = { type: 'cosine' as const, learningRate: 2, warmupSteps: 1, totalSteps: 5 };
    expect(learningRateAt(0, o)).toBe(0);
    expect(learningRateAt(1, o)).toBeCloseTo(2, 12);
    expect(learningRateAt(3, o)).toBeCloseTo(1, 12);
    expect(learningRateAt(4, o)).toBeCloseTo(2 * 0.5 * (1 + Math.cos(Math.PI * 0.75)), 12);
  });
  it('constant after warmup; warmupRatio rounds up', () => {
    const o = { type: 'constant' as const, learningRate: 3, warmupSteps: 4, totalSteps: 10 };
    expect(learningRateAt(2, o)).toBe(1.5);
    expect(learningRateAt(9, o)).toBe(3);
    expect(resolveWarmupSteps(0, 0.1, 25)).toBe(3);
    expect(resolveWarmupSteps(5, 0.1, 25)).toBe(5);
  });
});
