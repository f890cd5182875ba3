/**
 * Attention's non-matmul work through @grpojs/accel's native kernels when they are registered on
 * the current backend, one pass each way: the probabilities softmax(scores · scale + bias)
 * (`GrpojsMaskedSoftmax`/`…Grad`; tfjs: Multiply, Add, Softmax forward, about five kernels
 * backward) and the split of the fused q|k|v projection into heads (`GrpojsSplitHeads`/`…Grad`,
 * whose gradient accel registers with tfjs; tfjs: SplitV and three Transposes, then three
 * Transposes and a Concat). attention.ts uses the tfjs ops otherwise. Looked up by name, since
 * @grpojs/accel is an optional package.
 */
import * as tf from '@tensorflow/tfjs-core';

const MASKED_SOFTMAX = 'GrpojsMaskedSoftmax';
const MASKED_SOFTMAX_GRAD = 'GrpojsMaskedSoftmaxGrad';
const SPLIT_HEADS = 'GrpojsSplitHeads';

/**
 * softmax(scores · scale + bias) over the last axis for float32 scores [B, H, T, S] and the
 * additive bias [B, 1, T, S]; differentiable w.r.t. scores (the bias is a constant mask). Null when
 * the native kernels are not registered on the current backend (no @grpojs/accel, GRPOJS_ACCEL=0 or
 * GRPOJS_ACCEL_SOFTMAX=0). The caller owns the result.
 */
export function nativeMaskedSoftmax(scores: tf.Tensor4D, bias: tf.Tensor4D, scale: number): tf.Tensor4D | null {
  const backend = tf.getBackend();
  if (scores.dtype !== 'float32' || tf.getKernel(MASKED_SOFTMAX, backend) === undefined || tf.getKernel(MASKED_SOFTMAX_GRAD, backend) === undefined) {
    return null;
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const p = tf.engine().runKernel(MASKED_SOFTMAX, { scores: args[0] as tf.Tensor, bias }, { scale }) as tf.Tensor4D; // [B, H, T, S]
    (args[1] as tf.GradSaveFunc)([p]);
    return {
      value: p,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.engine().runKernel(MASKED_SOFTMAX_GRAD, { p: saved[0], dp: dy as tf.Tensor }, { scale }) as tf.Tensor, // [B, H, T, S]
    };
  });
  return op(scores) as tf.Tensor4D;
}

/**
 * q, k, v [B, H, T, D] from GPT-2's fused projection qkv [B·T, 3·H·D] (differentiable w.r.t. qkv);
 * null when the native kernel or its gradient is not registered on the current backend (also
 * GRPOJS_ACCEL_HEADS=0). The caller owns the results.
 */
export function nativeSplitHeads(qkv: tf.Tensor2D, batch: number, heads: number): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] | null {
  if (qkv.dtype !== 'float32' || tf.getKernel(SPLIT_HEADS, tf.getBackend()) === undefined || tf.getGradient(SPLIT_HEADS) === undefined) return null;
  return tf.engine().runKernel(SPLIT_HEADS, { qkv }, { batch, heads }) as unknown as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
}
