/**
 * Next-token selection on the host: greedy argmax, or sampling with temperature, top-k and top-p
 * (applied in that order, as transformers' logits warpers), from a small seeded PRNG so the same
 * seed reproduces the same tokens (the stream does not depend on the backend).
 */

/**
 * mulberry32: a 32-bit-state PRNG (Tommy Ettinger's public-domain generator). Tiny, fast, good
 * enough for sampling, and its state is one integer, so a checkpoint can store and restore it.
 */
export class Mulberry32 {
  state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

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
