/**
 * computeAdvantages and combineRewards at their edges: empty batches, groups of one, the exact
 * zero-std threshold of torch.isclose, and the group sizes that must be refused.
 */
import { describe, expect, it } from 'vitest';
import { combineRewards, computeAdvantages } from '../src/advantages.js';
import { GRPOTrainerError } from '../src/errors.js';

describe('combineRewards edges', () => {
  it('gives one total per row, no more', () => {
    expect(combineRewards([[1, 2]], [3])).toEqual([3, 6]);
  });

  it('no reward functions and no weights: no rows', () => {
    expect(combineRewards([], [])).toEqual([]);
  });
});

describe('computeAdvantages edges', () => {
  it('an empty batch has no advantages and frac_reward_zero_std 0 (not NaN)', () => {
    expect(computeAdvantages([], 2, 'group')).toEqual({ advantages: [], groupMean: [], groupStd: [], zeroStd: [], fracRewardZeroStd: 0 });
  });

  it('groups of one are allowed: std is NaN, so every advantage is 0', () => {
    const out = computeAdvantages([1, 2], 1, 'group');
    expect(out.advantages).toEqual([0, 0]);
    expect(out.groupMean).toEqual([1, 2]);
  });

  it('a std of exactly 1e-8 counts as zero (torch.isclose(std, 0): |std| <= atol)', () => {
    const tiny = 1.414213562373095e-8; // std([0, tiny]) === 1e-8 exactly
    const out = computeAdvantages([0, tiny, 0, 1], 2, 'group');
    expect(out.groupStd[0]).toBe(1e-8);
    expect(out.zeroStd).toEqual([true, true, false, false]);
    expect(out.fracRewardZeroStd).toBe(0.5);
  });

  // An empty batch for -1: 0 % -1 is (-)0, so only the `groupSize < 1` check refuses it, and a
  // mutant without that check returns instead of looping forever.
  it.each([
    [[1, 2, 3], 0],
    [[], -1],
    [[1, 2, 3], 1.5],
  ])('refuses %j in groups of numGenerations=%s, naming it', (rewards, groupSize) => {
    expect(() => computeAdvantages(rewards, groupSize, 'group')).toThrow(GRPOTrainerError);
    expect(() => computeAdvantages(rewards, groupSize, 'group')).toThrow(
      `computeAdvantages: ${rewards.length} rewards do not split into groups of numGenerations=${groupSize}.`,
    );
  });
});
