/**
 * @grpojs/rewards: the seven reward functions of the reference GRPO pipeline for GSM8K-style
 * reasoning, with exactly its numbers (Python `re`/`str` semantics, rapidfuzz ratio), plus the
 * string helpers and the GSM8K exact-match check the trainer's evaluation uses. No tensors.
 */
import { concisenessReward } from './functions/conciseness.js';
import { correctnessReward } from './functions/correctness.js';
import { cotClarityReward } from './functions/cot-clarity.js';
import type { BuiltinReward } from './functions/define.js';
import { formatReward, strictFormatReward } from './functions/format.js';
import { numericReward } from './functions/numeric.js';
import { repetitionPenalty } from './functions/repetition.js';

export {
  concisenessReward,
  correctnessReward,
  cotClarityReward,
  formatReward,
  numericReward,
  repetitionPenalty,
  strictFormatReward,
};
export type { BuiltinReward };
export type { RewardContext, RewardFunction, RewardValues } from './types.js';
export { RewardInputError } from './errors.js';
export { extractHashAnswer, extractReasoning, extractXmlAnswer } from './xml.js';
export { fuzzyRatio } from './fuzzy.js';
export { extractEvalPrediction, isExactMatch } from './eval.js';
export { pyLower, pyStrip } from './python-str.js';

/**
 * The reference pipeline's rewards in its order: correctness, format, strict_format, numeric,
 * conciseness, repetition, cot_clarity. Each weighs 1.0 unless the trainer is given weights.
 */
export const defaultRewards: readonly BuiltinReward[] = Object.freeze([
  correctnessReward,
  formatReward,
  strictFormatReward,
  numericReward,
  concisenessReward,
  repetitionPenalty,
  cotClarityReward,
]);
