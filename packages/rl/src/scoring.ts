/**
 * The "score" phase: run every reward function on the decoded completions (async allowed) and
 * collect a [functions][rows] matrix with NaN for "not applicable" (null).
 */
import type { RewardContext, RewardFunction } from '@grpojs/rewards';
import { GRPOTrainerError } from './errors.js';
import type { Rollout } from './generation.js';

/** Metric names of the reward functions: rewardName, else the JS name, else reward_<k>; made unique. */
export function rewardNames(functions: readonly RewardFunction[]): string[] {
  const seen = new Map<string, number>();
  return functions.map((fn, k) => {
    const base = fn.rewardName || fn.name || `reward_${k}`;
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count === 0 ? base : `${base}_${count + 1}`;
  });
}

/**
 * The weight of each reward function in the total reward: `rewardWeights` as configured (one per
 * function, else a GRPOTrainerError naming the field), or 1 for each when unset (TRL's default).
 */
export function resolveRewardWeights(rewardWeights: readonly number[] | null | undefined, functions: readonly RewardFunction[]): number[] {
  const weights = rewardWeights ? [...rewardWeights] : functions.map(() => 1);
  if (weights.length !== functions.length) {
    throw new GRPOTrainerError(
      `config.rewardWeights has ${weights.length} entries for ${functions.length} reward functions; give one weight per function.`,
    );
  }
  return weights;
}

/** Rewards of every function for every row of the rollout: [functions][rows], NaN = not applicable. */
export async function scoreRollout(
  functions: readonly RewardFunction[],
  names: readonly string[],
  rollout: Rollout,
): Promise<number[][]> {
  const ctx: RewardContext = { ...rollout.columns, prompts: rollout.prompts, completionIds: rollout.completionIds };
  const rows = rollout.completions.length;
  return Promise.all(
    functions.map(async (fn, k) => {
      const values = await fn(rollout.completions, ctx);
      if (!Array.isArray(values) || values.length !== rows) {
        throw new GRPOTrainerError(
          `Reward function "${names[k]}" returned ${Array.isArray(values) ? `${values.length} values` : typeof values} for ${rows} completions; return one number (or null) per completion.`,
        );
      }
      return values.map((v, i) => {
        if (v === null || Number.isNaN(v)) return Number.NaN;
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new GRPOTrainerError(
            `Reward function "${names[k]}" returned ${String(v)} for completion ${i}; return a finite number, or null (or NaN) for "not applicable".`,
          );
        }
        return v;
      });
    }),
  );
}
