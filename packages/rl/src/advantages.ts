/**
 * The "score → advantages" phases of a GRPO step on host arrays: combine the reward matrix with the
 * reward weights, then normalize each reward against its group (the numGenerations completions of
 * one prompt). Follows TRL 1.9 GRPOTrainer: A = (R − mean_group) / (std + 1e-4), std with Bessel's
 * correction; NaN-aware; NaN advantages become 0; or, with multi_objective_aggregation
 * "normalize_then_sum" (GDPO), each function normalized in its group before the weighted sum.
 */
import { GRPOTrainerError } from './errors.js';
import { nanMean, nanStd } from './stats.js';

/** Added to the std before dividing, as TRL does, so zero-variance groups give 0, not NaN. */
export const ADVANTAGE_STD_EPS = 1e-4;

/**
 * R_i = Σ_k w_k r_ik over the functions whose value is not NaN; NaN when every value is NaN.
 * @param rewardsPerFunction [functions][rows] (NaN = not applicable)
 * @param weights one per function
 */
export function combineRewards(rewardsPerFunction: readonly number[][], weights: readonly number[]): number[] {
  if (rewardsPerFunction.length !== weights.length) {
    throw new GRPOTrainerError(
      `rewardWeights has ${weights.length} entries but there are ${rewardsPerFunction.length} reward functions; give one weight per function.`,
    );
  }
  const rows = rewardsPerFunction[0]?.length ?? 0;
  const total: number[] = [];
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    let any = false;
    for (let k = 0; k < weights.length; k++) {
      const r = rewardsPerFunction[k][i];
      if (!Number.isNaN(r)) {
        sum += weights[k] * r;
        any = true;
      }
    }
    total.push(any ? sum : Number.NaN);
  }
  return total;
}

/** How advantages are scaled: TRL `scale_rewards`. */
export type ScaleRewards = 'group' | 'batch' | 'none';

/** Group-relative advantages and the statistics TRL logs alongside them. */
export interface AdvantageResult {
  /** One per row; never NaN (NaN → 0). */
  advantages: number[];
  /** Per row: the mean reward of its group. */
  groupMean: number[];
  /** Per row: the std (N−1) of its group's rewards. */
  groupStd: number[];
  /** Per row: true when its group's std is ≈ 0 (no learning signal; what dropZeroVarianceGroups drops). */
  zeroStd: boolean[];
  /**
   * TRL `frac_reward_zero_std`: the share of rows whose scaling std is ≈ 0 — the group std for
   * "group" and "none", the batch std (so 0 or 1) for "batch" and for normalize_then_sum.
   */
  fracRewardZeroStd: number;
}

/** |std| ≤ 1e-8, i.e. torch.isclose(std, 0) with its default atol. */
function isZeroStd(std: number): boolean {
  return Math.abs(std) <= 1e-8;
}

/**
 * Group-relative advantages.
 * @param rewards one total reward per row; rows are ordered group by group
 * @param groupSize numGenerations
 * @param scale "group": ÷ (group std + 1e-4); "batch": ÷ (std of all rewards + 1e-4); "none": no division
 */
export function computeAdvantages(rewards: readonly number[], groupSize: number, scale: ScaleRewards): AdvantageResult {
  if (!Number.isInteger(groupSize) || groupSize < 1 || rewards.length % groupSize !== 0) {
    throw new GRPOTrainerError(
      `computeAdvantages: ${rewards.length} rewards do not split into groups of numGenerations=${groupSize}.`,
    );
  }
  const groupMean: number[] = [];
  const groupStd: number[] = [];
  for (let g = 0; g < rewards.length; g += groupSize) {
    const group = rewards.slice(g, g + groupSize);
    const m = nanMean(group);
    const s = nanStd(group);
    for (let j = 0; j < groupSize; j++) {
      groupMean.push(m);
      groupStd.push(s);
    }
  }
  const batchStd = nanStd(rewards);
  const advantages = rewards.map((r, i) => {
    const centered = r - groupMean[i];
    const a =
      scale === 'group'
        ? centered / (groupStd[i] + ADVANTAGE_STD_EPS)
        : scale === 'batch'
          ? centered / (batchStd + ADVANTAGE_STD_EPS)
          : centered;
    return Number.isNaN(a) ? 0 : a;
  });
  const zeroStd = groupStd.map(isZeroStd);
  const scaledBy = scale === 'batch' ? rewards.map(() => isZeroStd(batchStd)) : zeroStd;
  const fracRewardZeroStd = rewards.length === 0 ? 0 : scaledBy.filter(Boolean).length / rewards.length;
  return { advantages, groupMean, groupStd, zeroStd, fracRewardZeroStd };
}

/**
 * GDPO advantages (TRL multi_objective_aggregation "normalize_then_sum"): each function's rewards
 * are normalized within their group, (r − mean_g) / (std_g + 1e-4), then summed with the weights
 * over the values that are not NaN (0 when none is), NaN for rows no function scored; the sums are
 * normalized over the whole batch, (S − mean) / (std + 1e-4), and NaN becomes 0. groupMean,
 * groupStd and zeroStd describe the weighted raw totals `rewards`, as for the other mode.
 * @param rewardsPerFunction [functions][rows] (NaN = not applicable)
 */
export function normalizeThenSumAdvantages(
  rewardsPerFunction: readonly number[][],
  weights: readonly number[],
  rewards: readonly number[],
  groupSize: number,
): AdvantageResult {
  const raw = computeAdvantages(rewards, groupSize, 'group');
  const normalized = rewardsPerFunction.map((values) => {
    const out: number[] = [];
    for (let g = 0; g < values.length; g += groupSize) {
      const group = values.slice(g, g + groupSize);
      const m = nanMean(group);
      const s = nanStd(group);
      for (const r of group) out.push((r - m) / (s + ADVANTAGE_STD_EPS));
    }
    return out;
  });
  const sums = rewards.map((_, i) => {
    if (rewardsPerFunction.every((values) => Number.isNaN(values[i]))) return Number.NaN;
    return normalized.reduce((acc, values, k) => (Number.isNaN(values[i]) ? acc : acc + weights[k] * values[i]), 0);
  });
  const m = nanMean(sums);
  const s = sums.length > 1 ? nanStd(sums) : 0;
  const advantages = sums.map((x) => {
    const a = (x - m) / (s + ADVANTAGE_STD_EPS);
    return Number.isNaN(a) ? 0 : a;
  });
  const fracRewardZeroStd = rewards.length === 0 ? 0 : isZeroStd(s) ? 1 : 0;
  return { ...raw, advantages, fracRewardZeroStd };
}

/** Summary reward metrics with TRL names: `reward` (mean total) and `reward_std` (mean group std). */
export function rewardSummary(rewards: readonly number[], result: AdvantageResult): { reward: number; reward_std: number } {
  return { reward: nanMean(rewards), reward_std: nanMean(result.groupStd) };
}
