import { describe, expect, it } from 'vitest';
import { combineRewards, computeAdvantages, rewardSummary } from '../src/advantages.js';
import { GRPOTrainerError } from '../src/errors.js';

describe('combineRewards', () => {
  it('weights each function and skips NaN (not applicable) values', () => {
    const total = combineRewards(
      [
        [1, Number.NaN, 2, Number.NaN],
        [0.5, 0.5, Number.NaN, Number.NaN],
      ],
      [2, -1],
    );
    expect(total.slice(0, 3)).toEqual([1.5, -0.5, 4]);
    expect(Number.isNaN(total[3])).toBe(true); // all-NaN row stays NaN
  });

  it('names the weight count mismatch', () => {
    expect(() => combineRewards([[1], [2]], [1])).toThrow(/rewardWeights has 1 entries but there are 2/);
  });
});

describe('computeAdvantages', () => {
  it('group scaling: (r - mean) / (std_bessel + 1e-4)', () => {
    const r = [1, 3, 0, 0, 2, 4, 6, 8];
    const out = computeAdvantages(r, 4, 'group');
    // group 1: mean 1, std sqrt(((0)^2+2^2+1+1)/3)=sqrt(2)
    const s1 = Math.sqrt(2);
    expect(out.advantages[0]).toBeCloseTo(0, 12);
    expect(out.advantages[1]).toBeCloseTo(2 / (s1 + 1e-4), 12);
    expect(out.advantages[2]).toBeCloseTo(-1 / (s1 + 1e-4), 12);
    const s2 = Math.sqrt((9 + 1 + 1 + 9) / 3);
    expect(out.advantages[4]).toBeCloseTo(-3 / (s2 + 1e-4), 12);
    expect(out.groupStd[5]).toBeCloseTo(s2, 12);
    expect(out.fracRewardZeroStd).toBe(0);
  });

  it('zero-variance groups give advantage 0 and count in frac_reward_zero_std', () => {
    const out = computeAdvantages([2, 2, 1, 0, 5, 5], 2, 'group');
    expect(out.advantages[0]).toBe(0);
    expect(out.advantages[1]).toBe(0);
    expect(out.advantages[2]).toBeCloseTo(0.5 / (Math.SQRT1_2 + 1e-4), 12);
    expect(out.zeroStd).toEqual([true, true, false, false, true, true]);
    expect(out.fracRewardZeroStd).toBeCloseTo(4 / 6, 12);
  });

  it('NaN rows: ignored by the group statistics and given advantage 0; all-NaN group → 0', () => {
    const out = computeAdvantages([1, Number.NaN, 3, 5, Number.NaN, Number.NaN], 3, 'group');
    // group 1 = [1, NaN, 3], group 2 = [5, NaN, NaN]
    expect(out.groupMean[0]).toBe(2);
    expect(out.groupStd[0]).toBeCloseTo(Math.SQRT2, 12);
    expect(out.advantages[0]).toBeCloseTo(-1 / (Math.SQRT2 + 1e-4), 12);
    expect(out.advantages[1]).toBe(0);
    expect(out.advantages[2]).toBeCloseTo(1 / (Math.SQRT2 + 1e-4), 12);
    // one valid value: std NaN → advantages NaN → 0, and not counted as zero-std (TRL isclose(NaN, 0) is false)
    expect(out.advantages.slice(3)).toEqual([0, 0, 0]);
    expect(out.zeroStd.slice(3)).toEqual([false, false, false]);
  });

  it('batch scaling divides by the std of the whole batch; none only centers', () => {
    const r = [1, 3, 10, 14];
    const batchStd = Math.sqrt([1, 3, 10, 14].map((x) => (x - 7) ** 2).reduce((a, b) => a + b) / 3);
    const b = computeAdvantages(r, 2, 'batch');
    expect(b.advantages[0]).toBeCloseTo(-1 / (batchStd + 1e-4), 12);
    expect(b.advantages[3]).toBeCloseTo(2 / (batchStd + 1e-4), 12);
    expect(computeAdvantages(r, 2, 'none').advantages).toEqual([-1, 1, -2, 2]);
    expect(rewardSummary(r, b)).toEqual({ reward: 7, reward_std: (Math.SQRT2 + 2 * Math.SQRT2) / 2 });
  });

  it('rejects a batch that does not split into groups', () => {
    expect(() => computeAdvantages([1, 2, 3], 2, 'group')).toThrow(GRPOTrainerError);
  });
});
