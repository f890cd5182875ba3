/**
 * The GSM8K accuracy check of the reference evaluation (greedy decoding, exact match), kept next to
 * the rewards so that the trainer's evaluation and the rewards read answers the same way.
 */
import { pyStrip } from './python-str.js';

/** Text between the leftmost `open` that has a `close` after it and the first such `close`. */
function firstTagged(text: string, open: string, close: string): string | null {
  const start = text.indexOf(open);
  if (start < 0) return null;
  const end = text.indexOf(close, start + open.length);
  return end < 0 ? null : text.slice(start + open.length, end);
}

/**
 * The prediction of one completion, stripped like Python `str.strip()`:
 * the text inside the first `<final_answer>…</final_answer>` if there is one; else inside the
 * last complete `<answer>…</answer>` (the last `<answer>` that a `</answer>` follows, up to the
 * first `</answer>` after it, so `<answer>a<answer>b</answer>` gives "b" as `extractXmlAnswer`
 * does); else "".
 */
export function extractEvalPrediction(completion: string): string {
  const final = firstTagged(completion, '<final_answer>', '</final_answer>');
  if (final !== null) return pyStrip(final);
  const lastClose = completion.lastIndexOf('</answer>');
  if (lastClose < 0) return '';
  const open = completion.lastIndexOf('<answer>', lastClose - '<answer>'.length);
  if (open < 0) return '';
  const start = open + '<answer>'.length;
  return pyStrip(completion.slice(start, completion.indexOf('</answer>', start)));
}

/**
 * GSM8K exact match: the prediction equals the gold answer character for character after both
 * are stripped (no number parsing: "72" ≠ "72.0" ≠ "$72"). An empty gold matches only "".
 */
export function isExactMatch(prediction: string, gold: string): boolean {
  return pyStrip(prediction) === pyStrip(gold);
}
