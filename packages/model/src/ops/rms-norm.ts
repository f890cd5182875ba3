/** RMSNorm (Llama, Qwen): x / √(mean(x²) + eps) · weight over the last axis, as transformers' LlamaRMSNorm. */
import * as tf from '@tensorflow/tfjs-core';

/** x [n, C], weight [C] → [n, C]. Differentiable w.r.t. x; runs in the caller's tidy. */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), weight));
}
