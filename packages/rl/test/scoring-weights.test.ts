import { describe, expect, it } from 'vitest';
import type { RewardFunction } from '@grpojs/rewards';
import { GRPOTrainerError } from '../src/errors.js';
import { resolveRewardWeights } from '../src/scoring.js';

const fns: RewardFunction[] = [() => [1], () => [2], () => [3]];

describe('resolveRewardWeights', () => {
  it('defaults to 1 per reward function and copies configured weights', () => {
    expect(resolveRewardWeights(undefined, fns)).toEqual([1, 1, 1]);
    expect(resolveRewardWeights(null, fns)).toEqual([1, 1, 1]);
    const configured = [0.5, 2, -1];
    const out = resolveRewardWeights(configured, fns);
    expect(out).toEqual([0.5, 2, -1]);
    out[0] = 9;
    expect(configured[0]).toBe(0.5);
  });

  it('names the field when the count does not match the functions', () => {
    expect(() => resolveRewardWeights([1, 2], fns)).toThrow(GRPOTrainerError);
    expect(() => resolveRewardWeights([1, 2], fns)).toThrow(/config\.rewardWeights has 2 entries for 3 reward functions/);
  });
});
