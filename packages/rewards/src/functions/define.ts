/** The shared shape of the built-in rewards: validate the batch, then score each completion. */
import { checkCompletions } from '../errors.js';
import type { RewardContext } from '../types.js';

/** A built-in reward: synchronous, one finite number per completion, always named. */
export type BuiltinReward = ((completions: string[], ctx: RewardContext) => number[]) & {
  rewardName: string;
};

/**
 * Builds a reward named `fnName` (the JS function name, used in errors) and `rewardName` (the
 * metric name) from a per-completion scorer. `prepare` runs once per batch, e.g. to read and
 * check a dataset column, and its result reaches every `score` call.
 */
export function defineReward<T>(
  fnName: string,
  rewardName: string,
  prepare: (completions: string[], ctx: RewardContext) => T,
  score: (completion: string, index: number, prepared: T) => number,
): BuiltinReward {
  const reward = {
    [fnName](completions: string[], ctx: RewardContext): number[] {
      checkCompletions(fnName, completions);
      const prepared = prepare(completions, ctx);
      return completions.map((completion, i) => score(completion, i, prepared));
    },
  }[fnName];
  return Object.assign(reward, { rewardName });
}

/** `prepare` for rewards that read nothing from the context. */
export function noContext(): null {
  return null;
}
