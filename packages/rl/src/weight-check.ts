/**
 * The finite-weights check behind the trainer's three guards: an AdamW update is kept only when it
 * passes (optimizer.ts rolls it back otherwise), and neither a checkpoint nor the final adapter is
 * written unless the weights (and, for a checkpoint, the AdamW moments) pass.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Largest finite float32 (torch.finfo(torch.float32).max). */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** Smallest normal float32 (torch.finfo(torch.float32).tiny); smaller values are denormal or 0. */
export const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/** A tensor to check, with the name an error should give it. */
export interface NamedTensor {
  name: string;
  value: tf.Tensor;
  /**
   * Also count it as exploded when its squared L2 norm overflows float32 (an entry above ~1.8e19):
   * then the product of two such weights (LoRA's B·A) is already Inf. For weights, not moments.
   */
  norm?: boolean;
}

/**
 * Describes the first tensor that holds NaN/Inf (or, with `norm`, has a squared L2 norm that
 * overflows float32), or returns null when all pass. One host read for the whole list; the
 * tensors stay the caller's.
 */
export function findBadTensor(tensors: readonly NamedTensor[]): string | null {
  if (tensors.length === 0) return null;
  // [2 × n]: per tensor 1/0 for "every entry finite", then its sum of squares (Inf when it overflows)
  const stats = tf.tidy(() => {
    const finite = tensors.map((t) => tf.cast(tf.all(tf.isFinite(t.value)), 'float32'));
    const squares = tensors.map((t) => (t.norm ? tf.sum(tf.square(t.value)) : tf.scalar(0)));
    return tf.stack([...finite, ...squares]).dataSync();
  });
  for (const [i, t] of tensors.entries()) {
    if (stats[i] !== 1) return `"${t.name}" holds NaN/Inf`;
    if (!Number.isFinite(stats[tensors.length + i])) {
      return `"${t.name}" exploded: its squared L2 norm overflows float32 (an entry above ~1.8e19)`;
    }
  }
  return null;
}
