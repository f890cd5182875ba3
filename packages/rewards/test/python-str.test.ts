/**
 * The Python `str` rules of python-str.ts at the places where a lookup can go wrong: the first and
 * last code point of every range of the generated tables and their neighbours (binary search, the
 * ASCII and BMP fast paths), surrogate pairs, and the contexts of the final-sigma rule. Fast enough
 * for mutation testing, which leaves out the whole-Unicode digests of unicode-tables.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { DIGIT_RANGES, LOWER_MULTI, LOWER_RUNS, SPACE_RANGES, WORD_RANGES } from '../src/generated/unicode-tables.js';
import { PY_SPACE_CLASS, pyFindWords, pyIsDigit, pyLower, pyStrip, pyWordCount } from '../src/python-str.js';

/** The oracle: a linear scan of the flattened inclusive [start, end] pairs. */
const inTable = (ranges: readonly number[], cp: number): boolean => {
  for (let i = 0; i < ranges.length; i += 2) if (cp >= ranges[i] && cp <= ranges[i + 1]) return true;
  return false;
};

/** The code points (as U+hex) where `actual` and `expected` differ; one assertion for thousands of cases. */
function disagreements<T>(cps: readonly number[], actual: (cp: number) => T, expected: (cp: number) => T): string[] {
  return cps.filter((cp) => !Object.is(actual(cp), expected(cp))).map((cp) => `U+${cp.toString(16)}`);
}

/** Every range's start − 1, start, end and end + 1, without surrogates (not characters on their own). */
function boundaries(ranges: readonly number[]): number[] {
  const out = new Set<number>();
  for (const cp of ranges) for (const c of [cp - 1, cp, cp + 1]) if (c >= 0 && c <= 0x10ffff && (c < 0xd800 || c > 0xdfff)) out.add(c);
  return [...out].sort((a, b) => a - b);
}

describe('\\s (str.isspace) at every boundary of SPACE_RANGES', () => {
  const cps = boundaries(SPACE_RANGES).filter((cp) => cp <= 0xffff);
  const ch = (cp: number) => String.fromCodePoint(cp);
  const space = (cp: number) => inTable(SPACE_RANGES, cp);
  it('pyStrip strips exactly the spaces, from either end', () => {
    expect(disagreements(cps, (cp) => pyStrip(`${ch(cp)}x${ch(cp)}`), (cp) => (space(cp) ? 'x' : `${ch(cp)}x${ch(cp)}`))).toEqual([]);
    expect(disagreements(cps, (cp) => pyStrip(ch(cp)), (cp) => (space(cp) ? '' : ch(cp)))).toEqual([]);
  });
  it('pyWordCount splits on exactly the spaces', () => {
    expect(disagreements(cps, (cp) => pyWordCount(`a${ch(cp)}b`), (cp) => (space(cp) ? 2 : 1))).toEqual([]);
  });
  it('PY_SPACE_CLASS matches exactly the spaces', () => {
    const re = new RegExp(`^[${PY_SPACE_CLASS}]$`, 'u');
    const ascii = Array.from({ length: 128 }, (_, cp) => cp);
    expect(disagreements([...ascii, ...boundaries(SPACE_RANGES)], (cp) => re.test(ch(cp)), space)).toEqual([]);
  });
  it('counts words and strips around runs of mixed spaces', () => {
    expect(pyWordCount('')).toBe(0);
    expect(pyWordCount(' \u3000 ')).toBe(0);
    expect(pyWordCount(' one\u00a0two \u2028three\t')).toBe(3);
    expect(pyStrip('\u0085\u1680 a b \u205f\u3000')).toBe('a b');
    expect(pyStrip('\ufeffa')).toBe('\ufeffa'); // U+FEFF is not a Python space (JS trim() strips it)
  });
});

describe('isdigit at every boundary of DIGIT_RANGES', () => {
  it('agrees with the table, alone and inside a string of ASCII digits', () => {
    const cps = boundaries(DIGIT_RANGES);
    const digit = (cp: number) => inTable(DIGIT_RANGES, cp);
    expect(disagreements(cps, (cp) => pyIsDigit(String.fromCodePoint(cp)), digit)).toEqual([]);
    expect(disagreements(cps, (cp) => pyIsDigit(`1${String.fromCodePoint(cp)}9`), digit)).toEqual([]);
  });
  it('is false for the empty string and true for ASCII 0 and 9', () => {
    expect(pyIsDigit('')).toBe(false);
    expect(pyIsDigit('0')).toBe(true);
    expect(pyIsDigit('9')).toBe(true);
    expect(pyIsDigit('/')).toBe(false);
    expect(pyIsDigit(':')).toBe(false);
  });
});

describe('\\w (re.findall(r"\\w+")) at every boundary of WORD_RANGES', () => {
  it('agrees with the table for BMP and astral code points', () => {
    const words = (cp: number) => pyFindWords(`-${String.fromCodePoint(cp)}-`).join(' ');
    expect(disagreements(boundaries(WORD_RANGES), words, (cp) => (inTable(WORD_RANGES, cp) ? String.fromCodePoint(cp) : ''))).toEqual([]);
  });
  it('splits at non-word characters and keeps a word that ends the string', () => {
    expect(pyFindWords('')).toEqual([]);
    expect(pyFindWords('ab cd_e9-\u00e9t\u00e9')).toEqual(['ab', 'cd_e9', '\u00e9t\u00e9']);
    expect(pyFindWords('x\u{10400}\u{10401}y z')).toEqual(['x\u{10400}\u{10401}y', 'z']);
  });
  it('never counts a lone surrogate as a word character', () => {
    expect(pyFindWords('a\ud801b')).toEqual(['a', 'b']);
    expect(pyFindWords('a\udc00b')).toEqual(['a', 'b']);
    expect(pyFindWords('a\ud801')).toEqual(['a']); // high surrogate at the end: no pair
    expect(pyFindWords('\ud801a')).toEqual(['a']);
    expect(pyFindWords('\uff21\udc00')).toEqual(['\uff21']); // a BMP word character, then a lone low surrogate
  });
});

describe('lower() at every boundary of LOWER_RUNS and LOWER_MULTI', () => {
  it('maps the first and last code point of every run, and leaves the neighbours it does not map', () => {
    const mapped = new Map<number, string>();
    for (let i = 0; i < LOWER_RUNS.length; i += 4) {
      const [start, end, step, delta] = LOWER_RUNS.slice(i, i + 4);
      for (let cp = start; cp <= end; cp += step) mapped.set(cp, String.fromCodePoint(cp + delta));
    }
    const cps: number[] = [];
    for (let i = 0; i < LOWER_RUNS.length; i += 4) {
      const [start, end, step] = LOWER_RUNS.slice(i, i + 4);
      cps.push(...[start - 1, start, start + step, end, end + 1].filter((cp) => cp >= 0x80 && cp !== 0x3a3 && (cp < 0xd800 || cp > 0xdfff)));
    }
    expect(disagreements(cps, (cp) => pyLower(String.fromCodePoint(cp)), (cp) => mapped.get(cp) ?? String.fromCodePoint(cp))).toEqual([]);
    expect(LOWER_MULTI[0]).toBe(3);
    expect(pyLower('\u0130')).toBe('i\u0307');
  });
});

// Expected values: Python 3.11.2 (Unicode 14.0.0, the tables' version), `s.lower()`.
const PYTHON_LOWER: [string, string][] = [
  ['A\u03a3', 'a\u03c2'],
  ['\u03a3', '\u03c3'],
  ['\u03a3A', '\u03c3a'],
  ['A\u03a3B', 'a\u03c3b'],
  ['A\u0301\u03a3', 'a\u0301\u03c2'],
  ['A\u03a3\u0301', 'a\u03c2\u0301'],
  ['A\u03a3\u0301B', 'a\u03c3\u0301b'],
  ["A'\u03a3", "a'\u03c2"],
  ['1\u03a3', '1\u03c3'],
  ['\u{10400}\u03a3', '\u{10428}\u03c2'],
  ['A\u{1d167}\u03a3', 'a\u{1d167}\u03c2'],
  ['A\u03a3\u{1d167}', 'a\u03c2\u{1d167}'],
  ['A\u03a3\u{10400}', 'a\u03c3\u{10428}'],
  ['\u0130', 'i\u0307'],
  ['x\u0130Y', 'xi\u0307y'],
  ['\u00c0B\u00c0c', '\u00e0b\u00e0c'],
  ['\u0178', '\u00ff'],
  ['\u1e9e', '\u00df'],
  ['\u{10400}\u{10401}', '\u{10428}\u{10429}'],
  ['\u{1f600}A', '\u{1f600}a'],
  ['\u01c5', '\u01c6'],
  ['\u03a3\u0301', '\u03c3\u0301'],
  ['\u0301\u03a3', '\u0301\u03c3'],
  ['a\u03a3', 'a\u03c2'],
  ['\u00c9\u03a3 \u00c9', '\u00e9\u03c2 \u00e9'],
  ['A\u{1f3ff}\u03a3', 'a\u{1f3ff}\u03c2'], // a case-ignorable astral character (low surrogate U+DFFF)
  ['A\u{101fd}\u03a3', 'a\u{101fd}\u03c2'], // a case-ignorable one with high surrogate U+D800
  ['A\u03a3\u{1d167}B', 'a\u03c3\u{1d167}b'], // a case-ignorable one, then a cased letter
  ['\ud801a\u03a3', '\ud801a\u03c2'], // a lone high surrogate before a cased letter
  ['\ud801\uff21\u03a3', '\ud801\uff41\u03c2'],
  ['\u1c89', '\u1c89'], // added in Unicode 16: Python 3.11 leaves it, a newer ICU's toLowerCase() does not
  ['x\u1c89', 'x\u1c89'],
];

describe('lower() and the final-sigma rule, against Python', () => {
  it.each(PYTHON_LOWER)('%j → %j', (input, lowered) => {
    expect(pyLower(input)).toBe(lowered);
  });
  it('a lone surrogate before a sigma is not cased (JavaScript strings may hold one; Python gives σ)', () => {
    expect(pyLower('\udc00\u03a3')).toBe('\udc00\u03c3');
    expect(pyLower('A\udc00\u03a3')).toBe('a\udc00\u03c3');
  });
});
