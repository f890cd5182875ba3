/**
 * LayerNorm through @grpojs/accel's native kernels (`GrpojsLayerNorm` forward, `GrpojsLayerNormGrad`
 * backward: one pass per row each) when they are registered on the current backend; the tfjs
 * formula in layers.ts otherwise (about 8 kernels forward, 12 backward). Looked up by name, since
 * @grpojs/accel is an optional package.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerNormWeights } from './layers.js';

const LAYER_NORM = 'GrpojsLayerNorm';
const LAYER_NORM_GRAD = 'GrpojsLayerNormGrad';

/**
 * LayerNorm of float32 x [n, C] with weights w, differentiable w.r.t. x, gamma and beta; null when
 * the native kernels are not registered on the current backend (no @grpojs/accel, GRPOJS_ACCEL=0
 * or GRPOJS_ACCEL_LAYERNORM=0). The caller owns the result.
 */
export function nativeLayerNorm(x: tf.Tensor2D, w: LayerNormWeights, eps: number): tf.Tensor2D | null {
  const backend = tf.getBackend();
  if (x.dtype !== 'float32' || tf.getKernel(LAYER_NORM, backend) === undefined || tf.getKernel(LAYER_NORM_GRAD, backend) === undefined) {
    return null;
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, gamma, beta] = args as tf.Tensor[];
    // [n, C], [n], [n]: the row means and 1/std are what the backward needs besides x and gamma
    const [y, mean, rstd] = tf.engine().runKernel(LAYER_NORM, { x: input, gamma, beta }, { epsilon: eps }) as tf.Tensor[];
    (args[3] as tf.GradSaveFunc)([input, gamma, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, gs, ms, rs] = saved;
        // [dx [n, C], dgamma [C], dbeta [C]]
        return tf.engine().runKernel(LAYER_NORM_GRAD, { x: xs, gamma: gs, mean: ms, rstd: rs, dy: dy as tf.Tensor }) as tf.Tensor[];
      },
    };
  });
  return op(x, w.gamma, w.beta) as tf.Tensor2D;
}
