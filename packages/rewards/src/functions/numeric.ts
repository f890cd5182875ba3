/** numeric: rewards an answer that is a bare non-negative integer, as GSM8K gold answers are. */
import { pyIsDigit } from '../python-str.js';
import { extractXmlAnswer } from '../xml.js';
import { defineReward, noContext } from './define.js';

/**
 * 0.5 when the completion's answer is non-empty and every character is a digit per Python
 * `str.isdigit` (Unicode digits such as "²" or "٣" count; a sign, point or comma does not).
 */
export const numericReward = defineReward('numericReward', 'numeric', noContext, (completion) =>
  pyIsDigit(extractXmlAnswer(completion)) ? 0.5 : 0.0,
);
