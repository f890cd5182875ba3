/**
 * Next-token selection on the host: greedy argmax, or sampling with temperature, top-k and top-p
 * (applied in that order, as transformers' logits warpers), from a small seeded PRNG so the same
 * seed reproduces the same tokens (the stream does not depend on the backend).
 */

// The sampling PRNG is @grpojs/data's mulberry32 (the same generator as its shuffle): one integer of
// state, so a checkpoint can store and restore it; the stream does not depend on the backend.
import { Mulberry32 } from '@grpojs/data';

export { Mulberry32 };

/** How to pick a token from one row of logits. */
export interface SamplingOptions {
  doSample: boolean;
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
}

/** Index of the largest value (the first one on ties, like torch.argmax). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * The minimum logit that survives top-k then top-p filtering of `scaled` (already divided by the
 * temperature); -Infinity when neither filter is on.
 */
function keepThreshold(scaled: Float32Array, topK: number, topP: number): number {
  const V = scaled.length;
  if ((topK <= 0 || topK >= V) && topP >= 1) return -Infinity;
  const sortedDesc = Float32Array.from(scaled).sort().reverse();
  const k = topK > 0 && topK < V ? topK : V;
  let threshold = sortedDesc[k - 1];
  if (topP < 1) {
    // transformers' TopPLogitsWarper: in ascending order drop tokens whose cumulative probability
    // is ≤ 1 − topP; the largest token always survives.
    const max = sortedDesc[0];
    let z = 0;
    for (let i = 0; i < k; i++) z += Math.exp(sortedDesc[i] - max);
    let cumulative = 0;
    for (let i = k - 1; i >= 0; i--) {
      cumulative += Math.exp(sortedDesc[i] - max) / z;
      if (cumulative > 1 - topP || i === 0) {
        threshold = Math.max(threshold, sortedDesc[i]);
        break;
      }
    }
  }
  return threshold;
}

/** Picks the next token from one row of logits [vocab]. */
export function sampleToken(logits: Float32Array, options: SamplingOptions, rng: Mulberry32): number {
  if (!options.doSample) return argmax(logits);
  const scaled = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i++) scaled[i] = logits[i] / options.temperature;
  const threshold = keepThreshold(scaled, options.topK, options.topP);
  let max = -Infinity;
  for (let i = 0; i < scaled.length; i++) if (scaled[i] >= threshold && scaled[i] > max) max = scaled[i];
  let z = 0;
  for (let i = 0; i < scaled.length; i++) if (scaled[i] >= threshold) z += Math.exp(scaled[i] - max);
  const u = rng.next() * z;
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < scaled.length; i++) {
    if (scaled[i] < threshold) continue;
    cumulative += Math.exp(scaled[i] - max);
    last = i;
    if (u < cumulative) return i;
  }
  return last; // u·z rounded up past the total: the last kept token
}
