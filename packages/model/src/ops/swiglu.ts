/** SwiGLU's gate (Llama's MLP): silu(gate) · up = gate · sigmoid(gate) · up. */
import * as tf from '@tensorflow/tfjs-core';
import { nativeSwiGlu } from './native-swiglu.js';

/**
 * gate, up [n, I] → [n, I]. Differentiable w.r.t. both; runs in the caller's tidy. With
 * @grpojs/accel one native pass each way (native-swiglu.ts), else the tfjs formula.
 */
export function swiGlu(gate: tf.Tensor2D, up: tf.Tensor2D): tf.Tensor2D {
  return nativeSwiGlu(gate, up) ?? swiGluTfjs(gate, up);
}

/** The tfjs formula of {@link swiGlu}. */
export function swiGluTfjs(gate: tf.Tensor2D, up: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.mul(gate, tf.sigmoid(gate)), up));
}
