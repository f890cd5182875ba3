/** RMSNorm (Llama, Qwen): x / √(mean(x²) + eps) · weight over the last axis, as transformers' LlamaRMSNorm. */
import * as tf from '@tensorflow/tfjs-core';
import { nativeRmsNorm } from './native-rms-norm.js';

/**
 * x [n, C], weight [C] → [n, C]. Differentiable w.r.t. x; runs in the caller's tidy. With
 * @grpojs/accel one native pass each way (native-rms-norm.ts), else the tfjs formula.
 */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  return nativeRmsNorm(x, weight, eps) ?? rmsNormTfjs(x, weight, eps);
}

/** The tfjs formula of {@link rmsNorm} (the fallback, and the reference the native path is tested against). */
export function rmsNormTfjs(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), weight));
}
