// LayerNorm forward and backward as tfjs kernels on the wasm and cpu backends, each one pass per
// row in native code (native/napi/layernorm.cc) instead of the ~8 forward and ~12 backward elementwise
// kernels of the tfjs formula. The model wraps them in a tf.customGrad (LAYER_NORM forward, which
// also returns each row's mean and 1/std for LAYER_NORM_GRAD).
import * as tf from '@tensorflow/tfjs-core';

import { ACCEL_KERNELS, type AccelKernelAttrs } from './contract/kernels.js';
import { type BlasAddon, type NativeRegion } from './native.js';
import { allocate, locate, type Region, VocabKernelError } from './vocab-kernels.js';

/**
 * Kernel name: inputs `{ x [n, C], gamma [C], beta [C] }` float32, attrs `{ epsilon }` →
 * `[y [n, C], mean [n], rstd [n]]` with y = (x − mean) · rstd · gamma + beta per row,
 * rstd = 1/√(biased variance + epsilon) (torch's LayerNorm).
 */
export const LAYER_NORM = ACCEL_KERNELS.layerNorm;
/**
 * Kernel name: inputs `{ x [n, C], gamma [C], mean [n], rstd [n], dy [n, C] }` float32 (mean and
 * rstd as returned by {@link LAYER_NORM}) → `[dx [n, C], dgamma [C], dbeta [C]]`.
 */
export const LAYER_NORM_GRAD = ACCEL_KERNELS.layerNormGrad;

/** The addon's LayerNorm functions (native/napi/layernorm.cc has the exact contract); x [rows, C]. */
export interface AddonLayerNorm {
  layerNormForward(options: { x: NativeRegion; gamma: NativeRegion; beta: NativeRegion; out: NativeRegion; mean: NativeRegion; rstd: NativeRegion; rows: number; C: number; eps: number }): void;
  layerNormBackward(options: {
    x: NativeRegion;
    gamma: NativeRegion;
    mean: NativeRegion;
    rstd: NativeRegion;
    dy: NativeRegion;
    dx: NativeRegion;
    dgamma: NativeRegion | null;
    dbeta: NativeRegion | null;
    rows: number;
    C: number;
  }): void;
}

function check(kernel: string, name: string, t: tf.TensorInfo, shape: number[]): void {
  if (t.dtype !== 'float32' || t.shape.join() !== shape.join()) {
    throw new VocabKernelError(`${kernel}: ${name} must be float32 [${shape}], got ${t.dtype} [${t.shape}]`);
  }
}

function kernels(addon: AddonLayerNorm, backendName: string): Record<string, tf.KernelFunc> {
  const at = (backend: unknown, t: tf.TensorInfo, kernel: string): Region => {
    const r = locate(backendName, backend, t);
    if (r === null) throw new VocabKernelError(`${kernel}: a tensor's memory is not a plain ArrayBuffer (threaded wasm?)`);
    return r;
  };
  return {
    [LAYER_NORM]: ({ inputs, backend, attrs }) => {
      const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
      const epsilon = (attrs as Partial<AccelKernelAttrs<'layerNorm'>> | undefined)?.epsilon;
      if (x.shape.length !== 2) throw new VocabKernelError(`${LAYER_NORM}: x must be [n, C], got [${x.shape}]`);
      const [n, C] = x.shape;
      check(LAYER_NORM, 'x', x, [n, C]);
      check(LAYER_NORM, 'gamma', gamma, [C]);
      check(LAYER_NORM, 'beta', beta, [C]);
      if (typeof epsilon !== 'number' || !(epsilon >= 0)) throw new VocabKernelError(`${LAYER_NORM}: attrs.epsilon must be a number >= 0, got ${epsilon}`);
      // Allocate every output first: a wasm malloc can replace the heap's ArrayBuffer.
      const [y, mean, rstd] = [allocate(backendName, backend, [n, C]), allocate(backendName, backend, [n]), allocate(backendName, backend, [n])];
      const [rx, rg, rb, ry, rm, rr] = [x, gamma, beta, y, mean, rstd].map((t) => at(backend, t, LAYER_NORM));
      addon.layerNormForward({ x: rx, gamma: rg, beta: rb, out: ry, mean: rm, rstd: rr, rows: n, C, eps: epsilon });
      return [y, mean, rstd];
    },
    [LAYER_NORM_GRAD]: ({ inputs, backend }) => {
      const { x, gamma, mean, rstd, dy } = inputs as Record<string, tf.TensorInfo>;
      if (x.shape.length !== 2) throw new VocabKernelError(`${LAYER_NORM_GRAD}: x must be [n, C], got [${x.shape}]`);
      const [n, C] = x.shape;
      check(LAYER_NORM_GRAD, 'x', x, [n, C]);
      check(LAYER_NORM_GRAD, 'gamma', gamma, [C]);
      check(LAYER_NORM_GRAD, 'mean', mean, [n]);
      check(LAYER_NORM_GRAD, 'rstd', rstd, [n]);
      check(LAYER_NORM_GRAD, 'dy', dy, [n, C]);
      const [dx, dgamma, dbeta] = [allocate(backendName, backend, [n, C]), allocate(backendName, backend, [C]), allocate(backendName, backend, [C])];
      const [rx, rg, rm, rr, rdy, rdx, rdg, rdb] = [x, gamma, mean, rstd, dy, dx, dgamma, dbeta].map((t) => at(backend, t, LAYER_NORM_GRAD));
      addon.layerNormBackward({ x: rx, gamma: rg, mean: rm, rstd: rr, dy: rdy, dx: rdx, dgamma: rdg, dbeta: rdb, rows: n, C });
      return [dx, dgamma, dbeta];
    },
  };
}

/** Registers the LayerNorm kernels on `backends` (skipping any already there). */
export function registerLayerNormKernels(addon: BlasAddon, backends: string[]): void {
  const native = addon as unknown as Partial<AddonLayerNorm>;
  if (typeof native.layerNormForward !== 'function') return; // an addon built before these kernels
  for (const backendName of backends) {
    for (const [kernelName, kernelFunc] of Object.entries(kernels(native as AddonLayerNorm, backendName))) {
      if (tf.getKernel(kernelName, backendName) === undefined) tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
  }
}

/** Removes the LayerNorm kernels from `backends`. */
export function unregisterLayerNormKernels(backends: string[]): void {
  for (const backendName of backends) {
    for (const kernelName of [LAYER_NORM, LAYER_NORM_GRAD]) {
      if (tf.getKernel(kernelName, backendName) !== undefined) tf.unregisterKernel(kernelName, backendName);
    }
  }
}
