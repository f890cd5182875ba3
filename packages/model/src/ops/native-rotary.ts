/**
 * Rotary positions fused with the split of a projection into heads, through @grpojs/accel's
 * native kernels (`rotaryHeads` forward, `rotaryHeadsGrad` backward: the inverse
 * rotation back to rows) when they are registered on the current backend; rotary.ts's tfjs path
 * otherwise (reshape, transpose, then split, neg, concat, two muls and an add; about twice as many
 * kernels backward). The gradient is this op's (a tf.customGrad).
 */
import * as tf from '@tensorflow/tfjs-core';
import { accelKernelsReady, runAccelKernel } from '../runtime/accel-kernels.js';

/**
 * t [B·T, heads·D] → [B, heads, T, D] with each head vector rotated by cos, sin [B, 1, T, D]
 * (rotaryTables); differentiable w.r.t. t (the tables are constants). Null when the native
 * kernels are not registered on the current backend. The caller owns the result.
 */
export function nativeRotaryHeads(t: tf.Tensor2D, batch: number, heads: number, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D | null {
  if (t.dtype !== 'float32' || !accelKernelsReady('rotaryHeads', 'rotaryHeadsGrad')) return null;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    (args[1] as tf.GradSaveFunc)([cos, sin]);
    return {
      value: runAccelKernel('rotaryHeads', { x: args[0] as tf.Tensor, cos, sin }, { batch, heads }) as tf.Tensor4D, // [B, heads, T, D]
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        runAccelKernel('rotaryHeadsGrad', { dy: dy as tf.Tensor, cos: saved[0], sin: saved[1] }), // [B·T, heads·D]
    };
  });
  return op(t) as tf.Tensor4D;
}
