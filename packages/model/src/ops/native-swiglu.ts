/**
 * SwiGLU's gate silu(gate) · up through @grpojs/accel's native kernels (`swiglu` forward,
 * `swigluGrad` backward: one pass each) when they are registered on the current backend;
 * swiglu.ts's tfjs formula otherwise (3 kernels forward, about 7 backward). The gradient is
 * this op's (a tf.customGrad).
 */
import * as tf from '@tensorflow/tfjs-core';
import { accelKernelsReady, runAccelKernel } from '../runtime/accel-kernels.js';

/**
 * silu(gate) · up for float32 gate, up of one shape, differentiable w.r.t. both; null when the
 * native kernels are not registered on the current backend. The caller owns the result.
 */
export function nativeSwiGlu<T extends tf.Tensor>(gate: T, up: T): T | null {
  if (gate.dtype !== 'float32' || up.dtype !== 'float32' || !accelKernelsReady('swiglu', 'swigluGrad')) return null;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [g, u] = args as tf.Tensor[];
    (args[2] as tf.GradSaveFunc)([g, u]);
    return {
      value: runAccelKernel('swiglu', { gate: g, up: u }),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        runAccelKernel('swigluGrad', { gate: saved[0], up: saved[1], dy: dy as tf.Tensor }), // [dgate, dup]
    };
  });
  return op(gate, up) as T;
}
