/**
 * Python `str` semantics the reference reward functions depend on: `strip()`, `split()`,
 * `isdigit()`, `lower()` and the `re` classes `\s` / `\w`. JavaScript's built-ins differ on
 * non-ASCII text (`trim()` strips U+FEFF but not U+001C..U+001F or U+0085; `\w` is ASCII-only;
 * `toLowerCase()` follows Node's ICU Unicode version, not Python's), so every rule here reads the
 * tables that scripts/gen-unicode-tables.py generated from Python itself.
 */
import {
  CASED_RANGES,
  CASE_IGNORABLE_RANGES,
  DIGIT_RANGES,
  LOWER_MULTI,
  LOWER_RUNS,
  SPACE_RANGES,
  WORD_RANGES,
} from './generated/unicode-tables.js';

/** True when `cp` lies in one of the flattened inclusive [start, end] pairs (binary search). */
function inRanges(ranges: readonly number[], cp: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[2 * mid]) hi = mid - 1;
    else if (cp > ranges[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** A regex character-class body (for the `u` flag) covering the given ranges. */
function classBody(ranges: readonly number[]): string {
  const hex = (cp: number) => `\\u{${cp.toString(16)}}`;
  let body = '';
  for (let i = 0; i < ranges.length; i += 2) {
    body += ranges[i] === ranges[i + 1] ? hex(ranges[i]) : `${hex(ranges[i])}-${hex(ranges[i + 1])}`;
  }
  return body;
}

/** Python `re` `\s` on str patterns, as a class body for a regex with the `u` flag. */
export const PY_SPACE_CLASS = classBody(SPACE_RANGES);

// Every Python whitespace character is in the BMP, so strip/split can walk UTF-16 code units:
// a surrogate unit is never whitespace.
const ASCII_SPACE = new Uint8Array(128);
for (let cp = 0; cp < 128; cp++) ASCII_SPACE[cp] = inRanges(SPACE_RANGES, cp) ? 1 : 0;

/** Python `str.isspace()` for one UTF-16 code unit. */
function isSpaceUnit(unit: number): boolean {
  return unit < 128 ? ASCII_SPACE[unit] === 1 : inRanges(SPACE_RANGES, unit);
}

/** Python `str.strip()` with no argument (Unicode whitespace as `str.isspace()` defines it). */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isSpaceUnit(s.charCodeAt(start))) start++;
  while (end > start && isSpaceUnit(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** `len(s.split())` in Python: the number of maximal runs of non-whitespace characters. */
export function pyWordCount(s: string): number {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const space = isSpaceUnit(s.charCodeAt(i));
    if (!space && !inWord) count++;
    inWord = !space;
  }
  return count;
}

/** Python `str.isdigit()`: non-empty and every code point has Numeric_Type Digit or Decimal. */
export function pyIsDigit(s: string): boolean {
  if (s.length === 0) return false;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp >= 0x30 && cp <= 0x39) continue;
    if (cp < 128 || !inRanges(DIGIT_RANGES, cp)) return false;
  }
  return true;
}

/** Python `\w` for every BMP code point (1 = word); astral code points use WORD_RANGES. */
const BMP_WORD = new Uint8Array(0x10000);
for (let i = 0; i < WORD_RANGES.length && WORD_RANGES[i] <= 0xffff; i += 2) {
  BMP_WORD.fill(1, WORD_RANGES[i], Math.min(WORD_RANGES[i + 1], 0xffff) + 1);
}

/**
 * Python `re.findall(r"\w+", s)`: the maximal runs of word characters (`str.isalnum()` or `_`).
 * A hand-written scan over a lookup table; it is about twice as fast as a `u`-flag regex with
 * the ~700-range class. Lone surrogates are never word characters, as in Python.
 */
export function pyFindWords(s: string): string[] {
  const words: string[] = [];
  let start = -1; // start of the current word, or -1
  for (let i = 0; i < s.length; ) {
    const unit = s.charCodeAt(i);
    let word: boolean;
    let width = 1;
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      word = inRanges(WORD_RANGES, s.codePointAt(i) as number);
      width = 2;
    } else {
      word = BMP_WORD[unit] === 1;
    }
    if (word && start < 0) start = i;
    else if (!word && start >= 0) {
      words.push(s.slice(start, i));
      start = -1;
    }
    i += width;
  }
  if (start >= 0) words.push(s.slice(start));
  return words;
}

/** Code point → lowered string for every non-ASCII code point that `str.lower()` changes. */
const LOWER_MAP: Map<number, string> = (() => {
  const map = new Map<number, string>();
  for (let i = 0; i < LOWER_RUNS.length; i += 4) {
    const [start, end, step, delta] = LOWER_RUNS.slice(i, i + 4);
    for (let cp = start; cp <= end; cp += step) map.set(cp, String.fromCodePoint(cp + delta));
  }
  for (let i = 0; i < LOWER_MULTI.length; ) {
    const len = LOWER_MULTI[i];
    map.set(LOWER_MULTI[i + 1], String.fromCodePoint(...LOWER_MULTI.slice(i + 2, i + 1 + len)));
    i += 1 + len;
  }
  return map;
})();

const CAPITAL_SIGMA = 0x3a3;
const NON_ASCII = /[^\x00-\x7f]/;

/** The code point that ends just before UTF-16 index `end`, and where it starts. */
function codePointBefore(s: string, end: number): [cp: number, start: number] {
  const unit = s.charCodeAt(end - 1);
  if (unit >= 0xdc00 && unit <= 0xdfff && end >= 2) {
    const high = s.charCodeAt(end - 2);
    if (high >= 0xd800 && high <= 0xdbff) return [s.codePointAt(end - 2) as number, end - 2];
  }
  return [unit, end - 1];
}

/**
 * CPython's Final_Sigma rule for the capital sigma at UTF-16 index `i`: final (ς) when a cased
 * letter precedes it and none follows, skipping case-ignorable characters in both directions.
 */
function sigmaAt(s: string, i: number): string {
  let j = i;
  let cp = 0;
  while (j > 0) {
    [cp, j] = codePointBefore(s, j);
    if (!inRanges(CASE_IGNORABLE_RANGES, cp)) break;
    cp = -1; // skipped: nothing cased found yet
  }
  if (j === i || cp < 0 || !inRanges(CASED_RANGES, cp)) return '\u03c3';
  for (j = i + 1; j < s.length; j += cp > 0xffff ? 2 : 1) {
    cp = s.codePointAt(j) as number;
    if (!inRanges(CASE_IGNORABLE_RANGES, cp)) return inRanges(CASED_RANGES, cp) ? '\u03c3' : '\u03c2';
  }
  return '\u03c2';
}

/**
 * Python `str.lower()`, code point for code point (Python's Unicode version, full case mapping
 * such as U+0130 → "i̇", and the contextual final sigma), independent of Node's ICU. ASCII runs go
 * through `toLowerCase()`, which agrees with Python there.
 */
export function pyLower(s: string): string {
  if (!NON_ASCII.test(s)) return s.toLowerCase();
  let out = '';
  let run = 0; // start of the pending ASCII run
  for (let i = 0; i < s.length; ) {
    if (s.charCodeAt(i) < 128) {
      i++;
      continue;
    }
    if (i > run) out += s.slice(run, i).toLowerCase();
    const cp = s.codePointAt(i) as number;
    const width = cp > 0xffff ? 2 : 1;
    out += cp === CAPITAL_SIGMA ? sigmaAt(s, i) : (LOWER_MAP.get(cp) ?? s.slice(i, i + width));
    i += width;
    run = i;
  }
  return out + s.slice(run).toLowerCase();
}
