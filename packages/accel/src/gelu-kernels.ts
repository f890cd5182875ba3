// GPT-2's gelu_new activation and its gradient as tfjs kernels on the wasm and cpu backends, each one
// vectorised native pass (native/napi/gelu.cc) instead of a scalar Tanh and eight elementwise tfjs ops.
// The model wraps them in a tf.customGrad (GELU_NEW forward, GELU_NEW_GRAD backward).
import * as tf from '@tensorflow/tfjs-core';

import { ACCEL_KERNELS } from './contract/kernels.js';
import { type AddonGelu } from './native.js';
import { allocate, locate, type Region, VocabKernelError } from './vocab-kernels.js';

/** Kernel name: input `{ x }` float32 of any shape → gelu_new(x), same shape. */
export const GELU_NEW = ACCEL_KERNELS.geluNew;
/** Kernel name: inputs `{ x, dy }` float32 of one shape → dy · gelu_new'(x). */
export const GELU_NEW_GRAD = ACCEL_KERNELS.geluNewGrad;

function kernels(addon: AddonGelu, backendName: string): Record<string, tf.KernelFunc> {
  const at = (backend: unknown, t: tf.TensorInfo, kernel: string): Region => {
    const r = t.dtype === 'float32' ? locate(backendName, backend, t) : null;
    if (r === null) throw new VocabKernelError(`${kernel}: inputs must be float32 tensors in plain memory, got ${t.dtype}`);
    return r;
  };
  const size = (t: tf.TensorInfo): number => t.shape.reduce((p, d) => p * d, 1);
  return {
    [GELU_NEW]: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const out = allocate(backendName, backend, x.shape);
      const [rx, ro] = [at(backend, x, GELU_NEW), at(backend, out, GELU_NEW)];
      addon.geluNew({ x: rx, out: ro, size: size(x) });
      return out;
    },
    [GELU_NEW_GRAD]: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const dy = inputs.dy as tf.TensorInfo;
      if (x.shape.join() !== dy.shape.join()) {
        throw new VocabKernelError(`${GELU_NEW_GRAD}: x [${x.shape}] and dy [${dy.shape}] must have the same shape`);
      }
      const out = allocate(backendName, backend, x.shape);
      const [rx, rd, ro] = [at(backend, x, GELU_NEW_GRAD), at(backend, dy, GELU_NEW_GRAD), at(backend, out, GELU_NEW_GRAD)];
      addon.geluNewGrad({ x: rx, dy: rd, out: ro, size: size(x) });
      return out;
    },
  };
}

/** Registers the gelu_new kernels on `backends` (skipping any already there). */
export function registerGeluKernels(addon: AddonGelu, backends: string[]): void {
  for (const backendName of backends) {
    for (const [kernelName, kernelFunc] of Object.entries(kernels(addon, backendName))) {
      if (tf.getKernel(kernelName, backendName) === undefined) tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
  }
}

/** Removes the gelu_new kernels from `backends`. */
export function unregisterGeluKernels(backends: string[]): void {
  for (const backendName of backends) {
    for (const kernelName of [GELU_NEW, GELU_NEW_GRAD]) {
      if (tf.getKernel(kernelName, backendName) !== undefined) tf.unregisterKernel(kernelName, backendName);
    }
  }
}
