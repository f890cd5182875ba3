/**
 * The fused log-softmax + gather of @grpojs/accel (its kernel `logSoftmaxGather`, native code with
 * a vectorised exp), used by headLogProbs when registered on the current backend: one pass per row
 * instead of about ten vocab-sized tfjs tensors (docs/benchmarks.md, item 1).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { accelKernelsReady, runAccelKernel } from '../runtime/accel-kernels.js';

/** What {@link nativeLogSoftmaxGather} returns; the caller disposes every tensor. */
export interface NativeLogSoftmaxGather {
  /** log p(target) [n]. */
  logp: tf.Tensor1D;
  /** −Σ p log p [n], when asked. */
  entropy?: tf.Tensor1D;
  /** (onehot(target) − p) / temperature [n, V] = d logp / d logits, when asked. */
  grad?: tf.Tensor2D;
}

/**
 * logits [n, V] (before the temperature) and targets [n] int32 → log p(target) under
 * softmax(logits / temperature), optionally the entropy and the gradient w.r.t. the logits; null
 * when the native kernel is not registered on the current backend (no @grpojs/accel, the runtime's
 * accel or its vocab family off, or a backend it does not patch). Not differentiable itself: wrap it in a tf.customGrad.
 */
export function nativeLogSoftmaxGather(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  temperature: number,
  withEntropy: boolean,
  withGrad: boolean,
): NativeLogSoftmaxGather | null {
  if (!accelKernelsReady('logSoftmaxGather')) return null;
  const out = runAccelKernel('logSoftmaxGather', { logits, targets }, { temperature, withEntropy, withGrad });
  const [logp, ...rest] = Array.isArray(out) ? out : [out];
  const entropy = withEntropy ? (rest.shift() as tf.Tensor1D) : undefined;
  const grad = withGrad ? (rest.shift() as tf.Tensor2D) : undefined;
  return { logp: logp as tf.Tensor1D, ...(entropy ? { entropy } : {}), ...(grad ? { grad } : {}) };
}
