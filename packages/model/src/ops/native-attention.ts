/**
 * Attention's non-matmul work through @grpojs/accel's native kernels when they are registered on
 * the current backend, one pass each way: the probabilities softmax(scores · scale + bias)
 * (`maskedSoftmax`/`…Grad`; tfjs: Multiply, Add, Softmax forward, about five kernels backward) and
 * the split of the fused q|k|v projection into heads (`splitHeads`/`…Grad`; tfjs: SplitV and three
 * Transposes, then three Transposes and a Concat). attention.ts uses the tfjs ops otherwise. Both
 * gradients are this file's: the softmax's a tf.customGrad, the head split's registered with tfjs
 * (a customGrad cannot return several tensors).
 */
import * as tf from '@tensorflow/tfjs-core';
import { accelKernelName, accelKernelsReady, runAccelKernel } from '../runtime/accel-kernels.js';

/**
 * softmax(scores · scale + bias) over the last axis for float32 scores [B, H, T, S] and the
 * additive bias [B, 1, T, S]; differentiable w.r.t. scores (the bias is a constant mask). Null when
 * the native kernels are not registered on the current backend (no @grpojs/accel, or the runtime's
 * accel or its softmax family off). The caller owns the result.
 */
export function nativeMaskedSoftmax(scores: tf.Tensor4D, bias: tf.Tensor4D, scale: number): tf.Tensor4D | null {
  if (scores.dtype !== 'float32' || !accelKernelsReady('maskedSoftmax', 'maskedSoftmaxGrad')) return null;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const p = runAccelKernel('maskedSoftmax', { scores: args[0] as tf.Tensor, bias }, { scale }) as tf.Tensor4D; // [B, H, T, S]
    (args[1] as tf.GradSaveFunc)([p]);
    return {
      value: p,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => runAccelKernel('maskedSoftmaxGrad', { p: saved[0], dp: dy as tf.Tensor }, { scale }), // [B, H, T, S]
    };
  });
  return op(scores) as tf.Tensor4D;
}

/** Registers the head split's gradient with tfjs under the kernel's registered name, once. */
function registerSplitHeadsGradient(kernelName: string): void {
  if (tf.getGradient(kernelName) !== undefined) return;
  tf.registerGradient({
    kernelName,
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      const dys = dy as (tf.Tensor | null)[];
      const shape = (dys.find((d) => d !== null) as tf.Tensor).shape;
      return {
        qkv: () =>
          tf.tidy(() => {
            // an output outside the backpropagated graph has a null dy: its gradient is zero
            const [dq, dk, dv] = dys.map((d) => d ?? tf.zeros(shape));
            return runAccelKernel('splitHeadsGrad', { dq, dk, dv }); // [B·T, 3C]
          }),
      };
    },
  });
}

/**
 * q, k, v [B, H, T, D] from GPT-2's fused projection qkv [B·T, 3·H·D] (differentiable w.r.t. qkv);
 * null when the native kernel or its gradient kernel is not registered on the current backend (also
 * with the heads family off). The caller owns the results.
 */
export function nativeSplitHeads(qkv: tf.Tensor2D, batch: number, heads: number): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] | null {
  if (qkv.dtype !== 'float32' || !accelKernelsReady('splitHeads', 'splitHeadsGrad')) return null;
  registerSplitHeadsGradient(accelKernelName('splitHeads') as string);
  return runAccelKernel('splitHeads', { qkv }, { batch, heads }) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
}
