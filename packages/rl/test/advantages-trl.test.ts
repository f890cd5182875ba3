/**
 * TRL 1.9 advantages with unscored rows (every function returned null) against float64 PyTorch
 * (fixtures/make_trl_loss_fixtures.py → trl-losses.json, "advantages"): scale_rewards group /
 * batch / none after the weighted NaN-aware sum, and multi_objective_aggregation
 * "normalize_then_sum" (GDPO); with frac_reward_zero_std as TRL measures it in each mode.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { combineRewards, computeAdvantages, normalizeThenSumAdvantages, type ScaleRewards } from '../src/advantages.js';

const { advantages: ref } = JSON.parse(readFileSync(new URL('./fixtures/trl-losses.json', import.meta.url), 'utf8')) as {
  advantages: {
    numGenerations: number;
    rewardsPerFunction: (number | null)[][];
    weights: number[];
    cases: Record<string, { mode: string; scale: ScaleRewards; advantages: number[]; fracRewardZeroStd: number }>;
  };
};
const table = ref.rewardsPerFunction.map((values) => values.map((v) => (v === null ? Number.NaN : v)));

describe('advantages as TRL 1.9 (trl-losses.json)', () => {
  for (const [name, c] of Object.entries(ref.cases)) {
    it(`${name}: advantages within 1e-9 and frac_reward_zero_std`, () => {
      const rewards = combineRewards(table, ref.weights);
      const result =
        c.mode === 'normalize_then_sum'
          ? normalizeThenSumAdvantages(table, ref.weights, rewards, ref.numGenerations)
          : computeAdvantages(rewards, ref.numGenerations, c.scale);
      expect(result.advantages).toHaveLength(c.advantages.length);
      result.advantages.forEach((a, i) => expect(Math.abs(a - c.advantages[i]), `row ${i}`).toBeLessThan(1e-9));
      expect(result.fracRewardZeroStd).toBe(c.fracRewardZeroStd);
    });
  }

  it('the modes differ on this table (the fixture can tell them apart)', () => {
    const c = ref.cases;
    expect(c['sum_then_normalize/group'].fracRewardZeroStd).toBeGreaterThan(0);
    expect(c['sum_then_normalize/batch'].fracRewardZeroStd).toBe(0);
    expect(Math.abs(c.normalize_then_sum.advantages[0] - c['sum_then_normalize/group'].advantages[0])).toBeGreaterThan(0.1);
  });

  it('normalize_then_sum keeps the group statistics of the raw weighted totals (for dropZeroVarianceGroups and reward_std)', () => {
    const rewards = combineRewards(table, ref.weights);
    const gdpo = normalizeThenSumAdvantages(table, ref.weights, rewards, ref.numGenerations);
    const plain = computeAdvantages(rewards, ref.numGenerations, 'group');
    expect(gdpo.zeroStd).toEqual(plain.zeroStd);
    expect(gdpo.groupStd).toEqual(plain.groupStd);
  });
});
