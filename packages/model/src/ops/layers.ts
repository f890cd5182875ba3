/**
 * The small per-position modules of a GPT-2 block: LayerNorm (biased variance, as torch) and the
 * MLP activation named by the config.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GPT2Config } from '../architectures/gpt2/config.js';
import { nativeGeluNew } from './native-gelu.js';
import { nativeLayerNorm } from './native-layernorm.js';

/** LayerNorm gain and shift [C]. */
export interface LayerNormWeights {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
}

/**
 * (x − mean) / √(var + eps) · gamma + beta over the last axis; x [n, C]. One native kernel each way
 * with @grpojs/accel (native-layernorm.ts), the tfjs formula otherwise.
 */
export function layerNorm(x: tf.Tensor2D, w: LayerNormWeights, eps: number): tf.Tensor2D {
  return tf.tidy(() => {
    const native = nativeLayerNorm(x, w, eps);
    if (native !== null) return native;
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), w.gamma), w.beta);
  });
}

/** The config's MLP activation. gelu_new = GPT-2's tanh approximation (native with @grpojs/accel). */
export function activation(x: tf.Tensor2D, name: GPT2Config['activationFunction']): tf.Tensor2D {
  return tf.tidy(() => {
    switch (name) {
      case 'gelu_new':
      case 'gelu_pytorch_tanh':
      case 'gelu_fast': {
        const native = nativeGeluNew(x); // @grpojs/accel's one-pass kernels, when active
        if (native !== null) return native;
        const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(tf.square(x), x)))); // x³ without pow (slow on wasm)
        return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
      }
      case 'gelu':
        return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
      case 'relu':
        return tf.relu(x);
      case 'silu':
        return tf.mul(x, tf.sigmoid(x));
    }
  });
}
