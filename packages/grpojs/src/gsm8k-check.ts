/**
 * The reference job's accuracy: GSM8K exact match of the completion's predicted final answer
 * (`<final_answer>`, else `<answer>`, via @grpojs/rewards' extractEvalPrediction) against the
 * row's gold `answer` (the number after `####`). @grpojs/rl's evaluation takes the check as an
 * option; train() and evaluate() pass this one, so `eval_accuracy` means what it always meant.
 */
import { extractEvalPrediction, isExactMatch } from '@grpojs/rewards';
import type { AccuracyCheck } from '@grpojs/rl';

/** True when the completion's prediction equals the row's gold `answer`; a row without one is never correct. */
export const gsm8kExactMatch: AccuracyCheck = (completion, row) =>
  typeof row.answer === 'string' && isExactMatch(extractEvalPrediction(completion), row.answer);
