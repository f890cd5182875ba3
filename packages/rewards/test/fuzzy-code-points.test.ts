/**
 * fuzzyRatio against a quadratic LCS over the code points JavaScript's string iterator yields (an
 * independent oracle): surrogate pairs at the edges of their ranges, lone surrogates before and
 * after other characters, astral code points whose values lie near BMP ones, and long strings whose
 * bit-parallel LCS carries across 32-bit words.
 */
import { describe, expect, it } from 'vitest';
import { fuzzyRatio } from '../src/index.js';

/** rapidfuzz fuzz.ratio by the definition: code points, LCS by dynamic programming. */
function oracle(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  if (x.length + y.length === 0) return 100;
  let prev = new Array<number>(y.length + 1).fill(0);
  for (const cx of x) {
    const row = [0];
    for (let j = 0; j < y.length; j++) row.push(cx === y[j] ? prev[j] + 1 : Math.max(prev[j + 1], row[j]));
    prev = row;
  }
  const lensum = x.length + y.length;
  return 100 * (1 - (lensum - 2 * prev[y.length]) / lensum);
}

describe('fuzzyRatio on UTF-16 edge cases (oracle: the string iterator)', () => {
  const pairs: [string, string][] = [
    ['a\u{1f600}', 'a\u{1f601}'], // same high surrogate, different low
    ['\u{10000}', '\ud800'], // first high surrogate
    ['\u{10000}', '\udc00'], // first low surrogate
    ['\u{103ff}', '\udfff'], // last low surrogate
    ['\u{10fc00}', '\udbff'], // last high surrogate
    ['\u{10ffff}', '\u{10fffe}'],
    ['a\udc00', 'a'], // a lone low surrogate after a BMP character
    ['\ud83da', 'a'], // a lone high surrogate before a BMP character
    ['\ud83d\ue000', '\ue000'], // a high surrogate before a character above the surrogates
    ['\uff21\udc00', '\uff21'], // a lone low surrogate after a character above the surrogates
    ['x\ud83d', 'x\ud83d'], // a lone high surrogate at the end
    ['A', '\u{20041}'], // astral code points are not BMP ones shifted
    ['\ufc01', '\u{103ff}'],
    ['\u{1f600}\u{1f600}b', 'b\u{1f600}'],
  ];
  it.each(pairs)('ratio(%j, %j)', (a, b) => {
    expect(fuzzyRatio(a, b)).toBe(oracle(a, b));
    expect(fuzzyRatio(b, a)).toBe(oracle(a, b));
  });
});

describe('fuzzyRatio on long strings (oracle: quadratic LCS)', () => {
  it('matches when a match lies only beyond the first 32-bit word', () => {
    const a = `${'x'.repeat(32)}y`;
    const b = `y${'z'.repeat(32)}`;
    expect(fuzzyRatio(a, b)).toBe(oracle(a, b));
  });

  it('matches on seeded random strings of 0 to 100 code points over small alphabets', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const alphabet = ['a', 'b', 'c', '\u{1f600}', '\u00e9'];
    const word = () => Array.from({ length: rand(101) }, () => alphabet[rand(1 + rand(alphabet.length))]).join('');
    const wrong: string[] = [];
    for (let k = 0; k < 150; k++) {
      const a = word();
      const b = word();
      if (fuzzyRatio(a, b) !== oracle(a, b)) wrong.push(`${JSON.stringify(a)} ~ ${JSON.stringify(b)}`);
    }
    expect(wrong).toEqual([]);
  });
});
