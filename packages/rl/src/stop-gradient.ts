/**
 * Two small tensor helpers every loss file shares: the detach of a differentiated function, and the
 * bound on log-ratios inside exp.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Log-ratios inside exp are clamped to ±this so one bad step cannot overflow to Inf. */
export const MAX_LOG_RATIO = 20;

/** Identity whose gradient is zero: torch's `.detach()` inside a differentiated function. */
export const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as <T extends tf.Tensor>(x: T) => T;

/**
 * A copy of `x`'s values with no link to the gradient tape, for 0/1 masks built with comparisons
 * (tfjs has no gradient for Less, LogicalOr, …, so they must not sit between a variable and the loss).
 */
export function constantOf<T extends tf.Tensor>(x: T): T {
  return tf.tensor(x.dataSync(), x.shape, x.dtype) as T;
}
