/** conciseness: a penalty that grows with the reasoning's length beyond 50 words. */
import { pyWordCount } from '../python-str.js';
import { extractReasoning } from '../xml.js';
import { defineReward, noContext } from './define.js';

/**
 * With w = the number of whitespace-separated words of the reasoning:
 * −min(0.5, max(0, (w − 50) × 0.01)); 0.0 without a `<reasoning>…</reasoning>` block.
 */
export const concisenessReward = defineReward('concisenessReward', 'conciseness', noContext, (completion) => {
  const reasoning = extractReasoning(completion);
  if (reasoning === null) return 0.0;
  const penalty = Math.min(0.5, Math.max(0, (pyWordCount(reasoning) - 50) * 0.01));
  return penalty === 0 ? 0.0 : -penalty; // never -0: the reference returns 0 here
});
