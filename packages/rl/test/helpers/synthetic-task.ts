/**
 * A synthetic task the policy can learn quickly: prompts are short random strings, and the reward
 * counts the target character in the completion. Seeded, so every test run sees the same data.
 */
import type { RewardFunction } from '@grpojs/rewards';
import type { PromptRow } from '../../src/types.js';

export const ALPHABET = 'abcdefgh';

/** `n` prompts of `length` characters from ALPHABET (seeded LCG). */
export function syntheticPrompts(n: number, length = 3, seed = 7): PromptRow[] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  return Array.from({ length: n }, () => ({
    prompt: Array.from({ length }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join(''),
  }));
}

/** Reward: the number of times `ch` occurs in the completion. */
export function countReward(ch: string): RewardFunction {
  const fn = (completions: string[]) => completions.map((c) => [...c].filter((x) => x === ch).length);
  return Object.assign(fn, { rewardName: `count_${ch}` });
}

/** Reward: the completion's length in characters (varies within a group from the first step). */
export function lengthReward(): RewardFunction {
  const fn = (completions: string[]) => completions.map((c) => [...c].length);
  return Object.assign(fn, { rewardName: 'length' });
}
