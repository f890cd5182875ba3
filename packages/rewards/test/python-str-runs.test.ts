/**
 * Where python-str.ts walks a string in runs: a word that spans the whole string, U+FFFF (the last
 * BMP code point, one UTF-16 unit) before an ASCII letter, and a lone low surrogate between a cased
 * letter and Σ. Expected values: Python 3.11.2.
 */
import { describe, expect, it } from 'vitest';
import { pyFindWords, pyLower } from '../src/python-str.js';

describe('python-str runs', () => {
  it('a word from the first to the last character', () => {
    expect(pyFindWords('abc')).toEqual(['abc']);
  });

  it('U+FFFF is one code unit: the letter after it is still lowered', () => {
    expect(pyLower('\uffffA')).toBe('\uffffa');
  });

  it('a lone low surrogate between a cased letter and Σ is not cased: σ', () => {
    expect(pyLower('\uff21\udc00\u03a3')).toBe('\uff41\udc00\u03c3');
  });
});
