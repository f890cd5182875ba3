/**
 * RMSNorm through @grpojs/accel's native kernels (`rmsNorm` forward, which also returns
 * each row's 1/rms for `rmsNormGrad` backward: one pass per row each) when they are
 * registered on the current backend; rms-norm.ts's tfjs formula otherwise (6 kernels forward,
 * about 12 backward). The gradient is this op's (a tf.customGrad).
 */
import * as tf from '@tensorflow/tfjs-core';
import { accelKernelsReady, runAccelKernel } from '../runtime/accel-kernels.js';

/**
 * RMSNorm of float32 x [n, C] with weight [C], differentiable w.r.t. x and weight; null when the
 * native kernels are not registered on the current backend. The caller owns the result.
 */
export function nativeRmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D | null {
  if (x.dtype !== 'float32' || !accelKernelsReady('rmsNorm', 'rmsNormGrad')) return null;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, w] = args as tf.Tensor[];
    // [n, C] and [n]: 1/rms per row is what the backward needs besides x and the weight
    const [y, rstd] = runAccelKernel('rmsNorm', { x: input, weight: w }, { epsilon: eps });
    (args[2] as tf.GradSaveFunc)([input, w, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ws, rs] = saved;
        // [dx [n, C], dweight [C]]
        return runAccelKernel('rmsNormGrad', { x: xs, weight: ws, rstd: rs, dy: dy as tf.Tensor });
      },
    };
  });
  return op(x, weight) as tf.Tensor2D;
}
