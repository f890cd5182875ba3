/**
 * Next-token selection on the host: greedy argmax, or sampling with temperature, top-k and top-p
 * (applied in that order, as transformers' logits warpers), from a small seeded PRNG so the same
 * seed reproduces the same tokens (the stream does not depend on the backend).
 */

// The sampling PRNG is @grpojs/data's mulberry32 (the same generator as its shuffle): one integer of
// state, so a checkpoint can store and restore it; the stream does not depend on the backend.
import { Mulberry32 } from '@grpojs/data';
import { expSampling } from '../ops/fast-exp.js';
import { activeSampler } from '../runtime/native-sampler.js';

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

/**
 * Picks the next token from one row of logits [vocab]. Sampling draws one uniform u from `rng`,
 * then takes the first token whose running sum of e_i = exp(scaled_i − max) reaches u·Σe, with
 * scaled_i = float32(logit_i / temperature), e_i = expSampling(float32(scaled_i − max)) and the sums
 * in index order. With @grpojs/accel's vocab family on (the runtime options) the same arithmetic
 * runs natively (about ten times faster), and both pick the same token for the same seed.
 */
export function sampleToken(logits: Float32Array, options: SamplingOptions, rng: Mulberry32): number {
  if (!options.doSample) return argmax(logits);
  const { temperature, topK, topP } = options;
  const V = logits.length;
  const filtered = (topK > 0 && topK < V) || topP < 1;
  let scaled: Float32Array | null = null;
  const scale = (): Float32Array => {
    scaled = new Float32Array(V);
    for (let i = 0; i < V; i++) scaled[i] = logits[i] / temperature;
    return scaled;
  };
  const threshold = filtered ? keepThreshold(scale(), topK, topP) : -Infinity;
  const u = rng.next();
  const native = activeSampler();
  if (native !== null) {
    const token = native(logits, temperature, threshold, u);
    if (token >= 0) return token;
  }
  return drawJs(scaled ?? scale(), threshold, u);
}

/** The JS draw (see sampleToken); @grpojs/accel's SampleFromRow (native/kernels/vocab.h) is the same computation. */
function drawJs(scaled: Float32Array, threshold: number, u: number): number {
  let max = -Infinity;
  for (let i = 0; i < scaled.length; i++) if (scaled[i] >= threshold && scaled[i] > max) max = scaled[i];
  const e = new Float64Array(scaled.length);
  let z = 0;
  for (let i = 0; i < scaled.length; i++) {
    if (scaled[i] < threshold) continue;
    e[i] = expSampling(Math.fround(scaled[i] - max));
    z += e[i];
  }
  const target = u * z;
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < scaled.length; i++) {
    if (scaled[i] < threshold) continue;
    cumulative += e[i];
    last = i;
    if (target < cumulative) return i;
  }
  return last; // u·z rounded up past the total: the last kept token
}
