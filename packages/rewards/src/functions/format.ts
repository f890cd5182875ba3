/**
 * format and strict_format: does the completion use the `<reasoning>` / `<answer>` layout?
 * The patterns are the reference's Python regexes, translated with Python's `\s` and `$`.
 */
import { PY_SPACE_CLASS } from '../python-str.js';
import { defineReward, noContext } from './define.js';

// Python: re.search(r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>", c, re.DOTALL)
const FORMAT_RE = new RegExp(`<reasoning>[\\s\\S]*?</reasoning>[${PY_SPACE_CLASS}]*<answer>[\\s\\S]*?</answer>`, 'u');

// Python: re.match(r"^<reasoning>\n.*?\n</reasoning>\n<answer>\n.*?\n</answer>\n$", c, re.DOTALL).
// Python's `$` (without MULTILINE) also matches just before a final "\n", hence `(?=\n?$)`: a
// completion ending in "</answer>\n\n" passes, as it does in the reference.
const STRICT_RE = /^<reasoning>\n[\s\S]*?\n<\/reasoning>\n<answer>\n[\s\S]*?\n<\/answer>\n(?=\n?$)/u;

/** 0.5 when `<reasoning>…</reasoning>`, optional whitespace, `<answer>…</answer>` occur anywhere. */
export const formatReward = defineReward('formatReward', 'format', noContext, (completion) =>
  FORMAT_RE.test(completion) ? 0.5 : 0.0,
);

/**
 * 0.5 when the whole completion is "<reasoning>\n…\n</reasoning>\n<answer>\n…\n</answer>\n"
 * (one extra trailing "\n" allowed, as Python's `$` allows); "\r\n" newlines do not count.
 */
export const strictFormatReward = defineReward('strictFormatReward', 'strict_format', noContext, (completion) =>
  STRICT_RE.test(completion) ? 0.5 : 0.0,
);
