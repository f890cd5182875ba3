/** repetition: penalizes completions that reuse the same words over and over. */
import { PY_WORD_CLASS, pyLower } from '../python-str.js';
import { defineReward, noContext } from './define.js';

// Python: re.findall(r"\w+", completion.lower())
const WORD_RE = new RegExp(`[${PY_WORD_CLASS}]+`, 'gu');

/**
 * With the `\w+` words of the lower-cased completion and r = (count − distinct) / count:
 * 0.0 when r < 0.2 (or there are no words), −0.25 when r < 0.5, else −0.5.
 */
export const repetitionPenalty = defineReward('repetitionPenalty', 'repetition', noContext, (completion) => {
  const words = pyLower(completion).match(WORD_RE);
  if (words === null) return 0.0;
  const r = (words.length - new Set(words).size) / words.length;
  if (r < 0.2) return 0.0;
  return r < 0.5 ? -0.25 : -0.5;
});
