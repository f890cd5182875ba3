/**
 * `fuzzyRatio`, the normalized Indel similarity that rapidfuzz `fuzz.ratio` returns.
 *
 * Hand-written because no JavaScript library computes this exact score: fast-fuzzy ranks by a
 * Damerau-Levenshtein / Sellers *substring* score after its own Unicode, case and whitespace
 * normalization; Levenshtein packages count a substitution as one edit where Indel counts two;
 * string-similarity uses Dice bigrams. Correctness rewards must equal the reference to the last
 * digit, so the score is computed here from an exact LCS.
 */

/** The Unicode code points of `s` (a lone surrogate counts as one, as in Python). */
function codePoints(s: string): number[] {
  const out: number[] = new Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out[n++] = (unit - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
        i++;
        continue;
      }
    }
    out[n++] = unit;
  }
  out.length = n;
  return out;
}

/** Number of set bits of a 32-bit word. */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/**
 * Length of the longest common subsequence, bit-parallel (Allison-Dix / Hyyrö): one bit per code
 * point of `a` in 32-bit words, O(ceil(|a|/32) * |b|). Bit i of S is 0 once a[i] is matched;
 * per character of b: U = S & M[c]; S = (S + U) | (S - U), where S - U = S & ~U as U ⊆ S.
 */
function lcsLength(a: number[], b: number[]): number {
  const m = a.length;
  if (m === 0 || b.length === 0) return 0;
  const words = Math.ceil(m / 32);
  const masks = new Map<number, Uint32Array>(); // code point → match mask over a
  for (let i = 0; i < m; i++) {
    let mask = masks.get(a[i]);
    if (!mask) masks.set(a[i], (mask = new Uint32Array(words)));
    mask[i >>> 5] |= 1 << (i & 31);
  }
  const s = new Uint32Array(words).fill(0xffffffff);
  for (const c of b) {
    const mask = masks.get(c);
    if (!mask) continue;
    let carry = 0;
    for (let w = 0; w < words; w++) {
      const sw = s[w];
      const u = (sw & mask[w]) >>> 0;
      const sum = sw + u + carry; // < 2^33, exact in a double
      carry = sum > 0xffffffff ? 1 : 0;
      s[w] = ((sum >>> 0) | (sw & ~u)) >>> 0;
    }
  }
  let unmatched = 0;
  for (let w = 0; w < words; w++) {
    const bits = w === words - 1 && m % 32 !== 0 ? s[w] & ((1 << m % 32) - 1) : s[w];
    unmatched += popcount(bits);
  }
  return m - unmatched;
}

/**
 * rapidfuzz `fuzz.ratio(a, b)`: `100 * (1 - indel / (len(a) + len(b)))` with lengths in code
 * points and `indel = len(a) + len(b) - 2 * LCS(a, b)`; 100 for two empty strings. Returns the
 * same double as rapidfuzz (e.g. `fuzzyRatio('abc', 'abd')` is 66.66666666666667).
 */
export function fuzzyRatio(a: string, b: string): number {
  const ca = codePoints(a);
  const cb = codePoints(b);
  const lensum = ca.length + cb.length;
  if (lensum === 0) return 100;
  const [short, long] = ca.length <= cb.length ? [ca, cb] : [cb, ca];
  const indel = lensum - 2 * lcsLength(short, long);
  return 100 * (1 - indel / lensum);
}
