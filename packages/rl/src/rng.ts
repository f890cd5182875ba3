/**
 * Deterministic randomness for the trainer. All randomness is a pure function of the config seed
 * and the position in training (epoch, step, micro-step), so there is no hidden RNG state to save:
 * a resumed run derives exactly the seeds the uninterrupted run used. Hand-written because the
 * trainer needs only 32-bit mixing and a hash; the data order uses @grpojs/data's seeded permutation.
 */

// Murmur3's 32-bit finalizer (a bijective avalanche mix of one uint32), shared with the model's
// deterministic random init.
import { fmix32 } from '@grpojs/model';

/**
 * A uint32 seed derived from a base seed and integer coordinates, e.g.
 * `deriveSeed(seed, 'sample', step)`. Different coordinates give independent-looking seeds.
 */
export function deriveSeed(seed: number, ...parts: (number | string)[]): number {
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  for (const part of parts) {
    if (typeof part === 'string') {
      for (let i = 0; i < part.length; i++) h = fmix32(h ^ Math.imul(part.charCodeAt(i) + 1, 0x27d4eb2d));
    } else {
      const lo = part >>> 0;
      const hi = Math.floor(part / 2 ** 32) >>> 0;
      h = fmix32(h ^ Math.imul(lo + 0x165667b1, 0x9e3779b1));
      h = fmix32(h ^ Math.imul(hi + 0x27d4eb2f, 0x85ebca77));
    }
  }
  return h;
}
