/** fuzzyRatio: hand-worked values of rapidfuzz fuzz.ratio, and its properties (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzyRatio } from '../src/index.js';

describe('fuzzyRatio', () => {
  it.each([
    ['', '', 100],
    ['', 'a', 0],
    ['abc', 'abc', 100],
    ['abc', 'abd', 66.66666666666667], // LCS 2 of 6: 100 * (1 - 2/6)
    ['abcde', 'abcdf', 80],
    ['this is a test', 'this is a test!', 96.55172413793103], // indel 1 of 29
    ['kitten', 'sitting', 61.53846153846154], // LCS 4 (ittn) of 13
    ['😀a', '😀', 66.66666666666667], // code points, not UTF-16 units
    ['e\u0301', 'é', 0], // no normalization: different code points
  ])('ratio(%j, %j) = %d', (a, b, expected) => {
    expect(fuzzyRatio(a, b)).toBe(expected);
  });

  it('is exact across 32-bit word boundaries', () => {
    // 100 bits span four 32-bit words. LCS(x^100, x^96 yyy) = 96, so indel = 199 - 192 = 7.
    const a = 'x'.repeat(100);
    const b = 'x'.repeat(96) + 'yyy';
    expect(fuzzyRatio(a, b)).toBe(100 * (1 - 7 / 199));
    // (ab)^70 vs (ba)^70: LCS 139 (drop the first a and the last a), indel 2 of 280.
    expect(fuzzyRatio('ab'.repeat(70), 'ba'.repeat(70))).toBe(100 * (1 - 2 / 280));
  });

  it('is symmetric, in [0, 100], and 100 exactly when equal (fast-check, full Unicode)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 80 });
    const small = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '😀', 'Σ'), maxLength: 40 });
    for (const arb of [text, small]) {
      fc.assert(
        fc.property(arb, arb, (a, b) => {
          const r = fuzzyRatio(a, b);
          expect(fuzzyRatio(b, a)).toBe(r);
          expect(r >= 0 && r <= 100).toBe(true);
          expect(r === 100).toBe(a === b);
        }),
        { numRuns: 300 },
      );
    }
  });
});
