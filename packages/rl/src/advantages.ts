/**
 * The "score → advantages" phases of a GRPO step on host arrays: combine the reward matrix with the
 * reward weights, then normalize each reward against its group (the numGenerations completions of
 * one prompt). Follows TRL GRPOTrainer: A = (R − mean_group) / (std + 1e-4), std with Bessel's
 * correction; NaN-aware; NaN advantages become 0.
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
  /** Per row: true when its group's std is ≈ 0 (no learning signal). */
  zeroStd: boolean[];
  /** Share of rows whose group std is ≈ 0 (TRL `frac_reward_zero_std`). */
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
  const fracRewardZeroStd = rewards.length === 0 ? 0 : zeroStd.filter(Boolean).length / rewards.length;
  return { advantages, groupMean, groupStd, zeroStd, fracRewardZeroStd };
}

/** Summary reward metrics with TRL names: `reward` (mean total) and `reward_std` (mean group std). */
export function rewardSummary(rewards: readonly number[], result: AdvantageResult): { reward: number; reward_std: number } {
  return { reward: nanMean(rewards), reward_std: nanMean(result.groupStd) };
}
