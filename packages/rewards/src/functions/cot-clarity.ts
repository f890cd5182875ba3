/** cot_clarity: rewards step markers ("first", "then", "therefore", ...) in the reasoning. */
import { pyLower } from '../python-str.js';
import { extractReasoning } from '../xml.js';
import { defineReward, noContext } from './define.js';

const KEYWORDS = ['first', 'second', 'third', 'then', 'next', 'therefore', 'thus', 'hence'] as const;

/** Python `text.count(word)`: non-overlapping plain-substring occurrences. */
function countOccurrences(text: string, word: string): number {
  let count = 0;
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + word.length)) count++;
  return count;
}

/**
 * min(0.1 × k, 0.5), k = the summed substring counts of the keywords in the lower-cased
 * reasoning ("then" inside "thence" counts); 0.0 without a `<reasoning>…</reasoning>` block.
 */
export const cotClarityReward = defineReward('cotClarityReward', 'cot_clarity', noContext, (completion) => {
  const reasoning = extractReasoning(completion);
  if (reasoning === null) return 0.0;
  const lowered = pyLower(reasoning);
  let k = 0;
  for (const word of KEYWORDS) k += countOccurrences(lowered, word);
  return Math.min(0.1 * k, 0.5);
});
