/**
 * Applies the importance-sampling correction (is-correction.ts) to the per-token loss. TRL weights
 * the policy term by ρ and then adds β·KL unweighted; perTokenLoss returns policy + β·KL, so the
 * weighted loss is (loss − β·KL)·ρ + β·KL. Runs inside the caller's tf.variableGrads; ρ is a constant.
 */
import * as tf from '@tensorflow/tfjs-core';

/** [B, T] loss with its policy term weighted by `ratios` [B, T]; `kl` null when beta = 0. Caller owns the result. */
export function weightPolicyTerm(loss: tf.Tensor2D, kl: tf.Tensor2D | null, beta: number, ratios: tf.Tensor2D): tf.Tensor2D {
  if (kl === null || beta === 0) return tf.mul(loss, ratios);
  const klTerm = tf.mul(beta, kl);
  return tf.add(tf.mul(tf.sub(loss, klTerm), ratios), klTerm);
}
