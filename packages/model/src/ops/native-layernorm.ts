/**
 * LayerNorm through @grpojs/accel's native kernels (`layerNorm` forward, `layerNormGrad` backward:
 * one pass per row each) when they are registered on the current backend; the tfjs formula in
 * layers.ts otherwise (about 8 kernels forward, 12 backward). The gradient is this op's (a tf.customGrad).
 */
import * as tf from '@tensorflow/tfjs-core';
import { accelKernelsReady, runAccelKernel } from '../runtime/accel-kernels.js';
import type { LayerNormWeights } from './layers.js';

/**
 * LayerNorm of float32 x [n, C] with weights w, differentiable w.r.t. x, gamma and beta; null when
 * the native kernels are not registered on the current backend (no @grpojs/accel, or the runtime's
 * accel or its layernorm family off). The caller owns the result.
 */
export function nativeLayerNorm(x: tf.Tensor2D, w: LayerNormWeights, eps: number): tf.Tensor2D | null {
  if (x.dtype !== 'float32' || !accelKernelsReady('layerNorm', 'layerNormGrad')) return null;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, gamma, beta] = args as tf.Tensor[];
    // [n, C], [n], [n]: the row means and 1/std are what the backward needs besides x and gamma
    const [y, mean, rstd] = runAccelKernel('layerNorm', { x: input, gamma, beta }, { epsilon: eps });
    (args[3] as tf.GradSaveFunc)([input, gamma, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, gs, ms, rs] = saved;
        // [dx [n, C], dgamma [C], dbeta [C]]
        return runAccelKernel('layerNormGrad', { x: xs, gamma: gs, mean: ms, rstd: rs, dy: dy as tf.Tensor });
      },
    };
  });
  return op(x, w.gamma, w.beta) as tf.Tensor2D;
}
