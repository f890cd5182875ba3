/**
 * Gradient accumulation and global-norm clipping (torch.nn.utils.clip_grad_norm_ semantics:
 * coefficient max_norm / (norm + 1e-6), applied only when < 1).
 */
import * as tf from '@tensorflow/tfjs-core';

/** Sums micro-batch gradients into kept accumulators. Call dispose() when the step is done. */
export class GradientAccumulator {
  private sums: tf.Tensor[] | null = null;

  /** Adds `grads` (one per variable, in order); the caller keeps ownership of `grads`. */
  add(grads: readonly tf.Tensor[]): void {
    if (this.sums === null) {
      this.sums = grads.map((g) => tf.keep(g.clone()));
      return;
    }
    const sums = this.sums;
    this.sums = grads.map((g, i) => {
      const next = tf.keep(tf.add(sums[i], g));
      sums[i].dispose();
      return next;
    });
  }

  /** The accumulated gradients (owned by the accumulator), or null before the first add. */
  get value(): tf.Tensor[] | null {
    return this.sums;
  }

  /** Frees the accumulated tensors. */
  dispose(): void {
    this.sums?.forEach((t) => t.dispose());
    this.sums = null;
  }
}

/** Global L2 norm of all gradients as a number (NaN/Inf when any entry is). */
export function globalNorm(grads: readonly tf.Tensor[]): number {
  if (grads.length === 0) return 0;
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
}

/**
 * Returns gradients scaled so their global norm is at most `maxNorm` (new tensors, caller disposes),
 * given their pre-computed norm. `maxNorm` 0 means no clipping (clones are returned).
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], norm: number, maxNorm: number): tf.Tensor[] {
  const coef = maxNorm > 0 ? maxNorm / (norm + 1e-6) : 1;
  return grads.map((g) => (coef < 1 ? tf.mul(g, coef) : g.clone()));
}
