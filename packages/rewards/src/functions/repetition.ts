/** repetition: penalizes completions that reuse the same words over and over. */
import { pyFindWords, pyLower } from '../python-str.js';
import { defineReward, noContext } from './define.js';

/**
 * With the `\w+` words of the lower-cased completion and r = (count − distinct) / count:
 * 0.0 when r < 0.2 (or there are no words), −0.25 when r < 0.5, else −0.5.
 */
export const repetitionPenalty = defineReward('repetitionPenalty', 'repetition', noContext, (completion) => {
  const words = pyFindWords(pyLower(completion)); // Python: re.findall(r"\w+", completion.lower())
  if (words.length === 0) return 0.0;
  const r = (words.length - new Set(words).size) / words.length;
  if (r < 0.2) return 0.0;
  return r < 0.5 ? -0.25 : -0.5;
});
