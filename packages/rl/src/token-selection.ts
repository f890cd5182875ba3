/**
 * Which tokens enter the policy term: the highest-entropy tokens (TRL top_entropy_quantile, "Beyond
 * the 80/20 rule") and the off-policy sequence mask (TRL off_policy_mask_threshold, DeepSeek-V3.2
 * eq. 9). Both are 0/1 tensors without gradient; the caller owns them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from './errors.js';
import { constantOf } from './stop-gradient.js';

/**
 * The q-quantile of `values` with linear interpolation between the two nearest ranks, as
 * torch.quantile's default. Hand-written: a sort and one interpolation, no library needed.
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new ShapeError('quantile of an empty list.');
  if (!(q >= 0 && q <= 1)) throw new ShapeError(`quantile: q must be in [0, 1], got ${q}.`);
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * [B, T] 1 for the tokens whose entropy is at least the (1 − topQuantile)-quantile of the
 * entropies of the masked tokens of this micro-batch, 0 elsewhere and on padding; all 0 when no
 * token is masked in. topQuantile 0 keeps only the highest-entropy token(s), 1 keeps every token.
 */
export function highEntropyMask(entropy: tf.Tensor2D, mask: tf.Tensor2D, topQuantile: number): tf.Tensor2D {
  if (entropy.shape.join() !== mask.shape.join()) {
    throw new ShapeError(`entropy has shape [${entropy.shape.join(', ')}], expected [${mask.shape.join(', ')}] (like the mask).`);
  }
  const e = entropy.dataSync();
  const m = mask.dataSync();
  const active: number[] = [];
  for (let i = 0; i < e.length; i++) if (m[i] !== 0) active.push(e[i]);
  if (active.length === 0) return tf.zerosLike(mask);
  const threshold = quantile(active, 1 - topQuantile);
  const selected = tf.greaterEqual(tf.mul(entropy, mask), threshold);
  return constantOf(tf.mul(tf.cast(selected, 'float32'), mask) as tf.Tensor2D);
}

/**
 * [B, 1] 0 for rows with a negative advantage whose mean (over the mask) of
 * log π_sampling − log π_θ exceeds `threshold`, 1 for the others. `samplingLogProbs` are the
 * sampling policy's log-probs (the old ones, or a server sampler's); the current ones are detached.
 */
export function offPolicySequenceMask(
  logProbs: tf.Tensor2D,
  samplingLogProbs: tf.Tensor2D,
  mask: tf.Tensor2D,
  adv: tf.Tensor2D,
  threshold: number,
): tf.Tensor2D {
  const drift = tf.mul(tf.sub(constantOf(samplingLogProbs), constantOf(logProbs)), mask);
  const meanKl = tf.div(tf.sum(drift, 1, true), tf.maximum(tf.sum(mask, 1, true), 1)); // [B, 1]
  return tf.cast(tf.logicalOr(tf.greaterEqual(adv, 0), tf.lessEqual(meanKl, threshold)), 'float32') as tf.Tensor2D;
}
