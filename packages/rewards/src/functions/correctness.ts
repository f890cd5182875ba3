/** correctness: 2.0 for the exact gold answer, 1 + ratio/100 for a close one (ratio ≥ 80), else 0. */
import { RewardInputError } from '../errors.js';
import { fuzzyRatio } from '../fuzzy.js';
import { pyLower, pyStrip } from '../python-str.js';
import type { RewardContext } from '../types.js';
import { extractXmlAnswer } from '../xml.js';
import { defineReward } from './define.js';

/** Reads `ctx.answer` (one gold string per completion) and returns the stripped gold answers. */
function goldAnswers(completions: string[], ctx: RewardContext): string[] {
  const answers: unknown = ctx?.answer;
  const hint =
    'Give the dataset an `answer` column holding the gold answer of each row ' +
    '(for GSM8K: extractHashAnswer(row.answer), the text after "####").';
  if (answers === undefined) {
    throw new RewardInputError(`correctnessReward: ctx.answer is missing. ${hint}`);
  }
  if (!Array.isArray(answers)) {
    throw new RewardInputError(`correctnessReward: ctx.answer must be an array of strings, got ${typeof answers}. ${hint}`);
  }
  if (answers.length !== completions.length) {
    throw new RewardInputError(
      `correctnessReward: ctx.answer has ${answers.length} entries but there are ${completions.length} completions; ` +
        'pass one gold answer per completion (repeat each row\'s answer for every completion of its group).',
    );
  }
  return answers.map((gold, i) => {
    if (typeof gold !== 'string') {
      throw new RewardInputError(`correctnessReward: ctx.answer[${i}] must be a string, got ${typeof gold}. ${hint}`);
    }
    return pyStrip(gold);
  });
}

/**
 * 2.0 when the completion's answer (see `extractXmlAnswer`) equals the stripped gold exactly;
 * otherwise, with s = fuzzyRatio(lower(answer), lower(gold)), 1.0 + s/100 when s ≥ 80, else 0.0.
 * Reads the gold answers from `ctx.answer`.
 */
export const correctnessReward = defineReward('correctnessReward', 'correctness', goldAnswers, (completion, i, golds) => {
  const answer = extractXmlAnswer(completion);
  const gold = golds[i];
  if (answer === gold) return 2.0;
  const s = fuzzyRatio(pyLower(answer), pyLower(gold));
  return s >= 80 ? 1.0 + s / 100 : 0.0;
});
