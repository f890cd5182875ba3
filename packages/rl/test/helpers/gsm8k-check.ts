/**
 * GSM8K exact match as the grpojs umbrella passes it to evaluation (its gsm8kExactMatch); the
 * trainer itself takes any AccuracyCheck, so its tests supply this one where they assert accuracy.
 */
import { extractEvalPrediction, isExactMatch } from '@grpojs/rewards';
import type { AccuracyCheck } from '../../src/index.js';

export const gsm8kExactMatch: AccuracyCheck = (completion, row) =>
  typeof row.answer === 'string' && isExactMatch(extractEvalPrediction(completion), row.answer);
