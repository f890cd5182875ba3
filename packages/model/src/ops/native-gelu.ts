/**
 * gelu_new through @grpojs/accel's native kernels (`geluNew` forward, `geluNewGrad` backward: one
 * vectorised pass each) when they are registered on the current backend; the tfjs formula in
 * layers.ts otherwise (docs/benchmarks.md, item 4). The gradient is this op's (a tf.customGrad).
 */
import * as tf from '@tensorflow/tfjs-core';
import { accelKernelsReady, runAccelKernel } from '../runtime/accel-kernels.js';

/**
 * gelu_new(x) for float32 x [n, C], differentiable w.r.t. x; null when the native kernels are not
 * registered on the current backend (no @grpojs/accel, or the runtime's accel or its gelu family
 * off). The caller owns the result.
 */
export function nativeGeluNew(x: tf.Tensor2D): tf.Tensor2D | null {
  if (x.dtype !== 'float32' || !accelKernelsReady('geluNew', 'geluNewGrad')) return null;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor2D;
    (args[1] as tf.GradSaveFunc)([input]);
    return {
      value: runAccelKernel('geluNew', { x: input }) as tf.Tensor2D, // [n, C]
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => runAccelKernel('geluNewGrad', { x: saved[0], dy: dy as tf.Tensor }), // [n, C]
    };
  });
  return op(x) as tf.Tensor2D;
}
