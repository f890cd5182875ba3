/**
 * gelu_new through @grpojs/accel's native kernels (`GrpojsGeluNew` forward, `GrpojsGeluNewGrad`
 * backward: one vectorised pass each) when they are registered on the current backend; the tfjs
 * formula in layers.ts otherwise (docs/benchmarks.md, item 4). Looked up by name, since
 * @grpojs/accel is an optional package.
 */
import * as tf from '@tensorflow/tfjs-core';

const GELU_NEW = 'GrpojsGeluNew';
const GELU_NEW_GRAD = 'GrpojsGeluNewGrad';

/**
 * gelu_new(x) for float32 x [n, C], differentiable w.r.t. x; null when the native kernels are not
 * registered on the current backend (no @grpojs/accel, GRPOJS_ACCEL=0 or GRPOJS_ACCEL_GELU=0). The
 * caller owns the result.
 */
export function nativeGeluNew(x: tf.Tensor2D): tf.Tensor2D | null {
  const backend = tf.getBackend();
  if (x.dtype !== 'float32' || tf.getKernel(GELU_NEW, backend) === undefined || tf.getKernel(GELU_NEW_GRAD, backend) === undefined) {
    return null;
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor2D;
    (args[1] as tf.GradSaveFunc)([input]);
    return {
      value: tf.engine().runKernel(GELU_NEW, { x: input }) as tf.Tensor2D, // [n, C]
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.engine().runKernel(GELU_NEW_GRAD, { x: saved[0], dy: dy as tf.Tensor }) as tf.Tensor, // [n, C]
    };
  });
  return op(x) as tf.Tensor2D;
}
