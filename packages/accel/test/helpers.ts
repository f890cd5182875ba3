// Shared test setup: tfjs with the wasm backend, the addon probe (tests skip with the reason when
// the addon is not built), a seeded PRNG and a tolerance check relative to the reference's scale.
// The tests import the @tensorflow/tfjs umbrella (a devDependency) for its cpu backend and the
// gradients the training tests need; the package itself uses tfjs-core only (its peer).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

import { loadAddon } from '../src/native.js';

export { tf };

const load = loadAddon();
/** True when the BLAS addon loaded; tests that need it use describe.skipIf(!addonBuilt). */
export const addonBuilt = load.ok;
/** Suffix for test names: says why a suite is skipped. */
export const skipNote = load.ok ? '' : ` (SKIPPED: BLAS addon not built: ${load.reason})`;

/** mulberry32: a tiny seeded PRNG so shapes and values are the same on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [lo, hi]. */
export function randInt(next: () => number, lo: number, hi: number): number {
  return lo + Math.floor(next() * (hi - lo + 1));
}

/** A float32 tensor of `shape` with values uniform in [-1, 1) from `next`. */
export function randTensor(next: () => number, shape: number[]): tf.Tensor {
  const size = shape.reduce((p, d) => p * d, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = next() * 2 - 1;
  return tf.tensor(values, shape);
}

/**
 * Largest |got - want| divided by max(1, largest |want|): the "relative" error the tests bound by
 * 1e-4 (per-element relative error is meaningless where sums cancel to ~0).
 */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} vs ${want.length}`);
  let maxDiff = 0;
  let scale = 1;
  for (let i = 0; i < want.length; i++) {
    const diff = Math.abs(got[i] - want[i]);
    maxDiff = Number.isNaN(diff) ? Infinity : Math.max(maxDiff, diff);
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return maxDiff / scale;
}
