/**
 * Pulling the tagged parts out of a completion (`<reasoning>`, `<answer>`) and the gold answer out
 * of a GSM8K solution (`#### 72`), exactly as the Python reference pipeline's string splits do.
 */
import { pyStrip } from './python-str.js';

const ANSWER_OPEN = '<answer>';
const ANSWER_CLOSE = '</answer>';
const REASONING_OPEN = '<reasoning>';
const REASONING_CLOSE = '</reasoning>';

/**
 * The answer a completion gives: the text after the LAST `<answer>` up to the first `</answer>`
 * after it, stripped (Python `text.split("<answer>")[-1].split("</answer>")[0].strip()`).
 * Without `<answer>` the whole completion is used, still cut at the first `</answer>`.
 */
export function extractXmlAnswer(text: string): string {
  const open = text.lastIndexOf(ANSWER_OPEN);
  const afterOpen = open < 0 ? text : text.slice(open + ANSWER_OPEN.length);
  const close = afterOpen.indexOf(ANSWER_CLOSE);
  return pyStrip(close < 0 ? afterOpen : afterOpen.slice(0, close));
}

/**
 * The group of the first match of `<reasoning>(.*?)</reasoning>` with DOTALL (not stripped), or
 * null. The leftmost `<reasoning>` pairs with the first `</reasoning>` after it; if that opening
 * tag has no closing tag after it, no later one does either.
 */
export function extractReasoning(text: string): string | null {
  const open = text.indexOf(REASONING_OPEN);
  if (open < 0) return null;
  const start = open + REASONING_OPEN.length;
  const close = text.indexOf(REASONING_CLOSE, start);
  return close < 0 ? null : text.slice(start, close);
}

/**
 * The GSM8K gold answer: the text after `####`, stripped; empty when there is no `####`.
 * Like the reference (`text.split("####")[1].strip()`), a second `####` ends the answer.
 */
export function extractHashAnswer(text: string): string {
  const parts = text.split('####');
  return parts.length < 2 ? '' : pyStrip(parts[1]);
}
