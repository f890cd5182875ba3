// A column gather as a tfjs kernel on the wasm and cpu backends: out[i, r] = x[r, indices[i]],
// one native loop (native/gather.cc). The model's tied LM head on wasm is stored transposed
// ([C, vocab], lm-head.ts), so its token-embedding lookup gathers columns; tfjs' GatherV2 along
// axis 1 and the transpose after it took ~100 ms per 512 tokens there.
import * as tf from '@tensorflow/tfjs';

import { type BlasAddon } from './native.js';
import { allocate, locate, type Region, VocabKernelError } from './vocab-kernels.js';

/** Kernel name: inputs `{ x [R, V] float32, indices [n] int32 in [0, V) }` → `[n, R]`, row i = column indices[i] of x. */
export const GATHER_COLUMNS = 'GrpojsGatherColumns';

/** The addon's column gather (native/gather.cc has the exact contract). */
export interface AddonGather {
  gatherColumns(
    srcBuf: ArrayBufferLike, srcOff: number, R: number, V: number,
    idsBuf: ArrayBufferLike, idsOff: number, n: number, outBuf: ArrayBufferLike, outOff: number,
  ): void;
}

function makeGatherColumns(addon: AddonGather, backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { x, indices } = inputs as Record<string, tf.TensorInfo>;
    if (x.dtype !== 'float32' || x.shape.length !== 2) {
      throw new VocabKernelError(`${GATHER_COLUMNS}: x must be float32 [R, V], got ${x.dtype} [${x.shape}]`);
    }
    if (indices.dtype !== 'int32' || indices.shape.length !== 1) {
      throw new VocabKernelError(`${GATHER_COLUMNS}: indices must be int32 [n], got ${indices.dtype} [${indices.shape}]`);
    }
    const [R, V] = x.shape;
    const n = indices.shape[0];
    const out = allocate(backendName, backend, [n, R]);
    const at = (t: tf.TensorInfo): Region => {
      const r = locate(backendName, backend, t);
      if (r === null) throw new VocabKernelError(`${GATHER_COLUMNS}: a tensor's memory is not a plain ArrayBuffer (threaded wasm?)`);
      return r;
    };
    const [rx, ri, ro] = [at(x), at(indices), at(out)];
    try {
      addon.gatherColumns(rx.buffer, rx.byteOffset, R, V, ri.buffer, ri.byteOffset, n, ro.buffer, ro.byteOffset);
    } catch (error) {
      (backend as { disposeData(id: tf.DataId): void }).disposeData(out.dataId);
      throw new VocabKernelError(`${GATHER_COLUMNS}: ${(error as Error).message}`);
    }
    return out;
  };
}

/** Registers the column gather on `backends` (skipping any already there). GRPOJS_ACCEL_GATHER=0 skips it. */
export function registerGatherKernels(addon: BlasAddon, backends: string[]): void {
  if (process.env.GRPOJS_ACCEL_GATHER === '0') return;
  const native = addon as unknown as Partial<AddonGather>;
  if (typeof native.gatherColumns !== 'function') return; // an addon built before this kernel
  for (const backendName of backends) {
    if (tf.getKernel(GATHER_COLUMNS, backendName) !== undefined) continue;
    tf.registerKernel({ kernelName: GATHER_COLUMNS, backendName, kernelFunc: makeGatherColumns(native as AddonGather, backendName) });
  }
}

/** Removes the column gather from `backends`. */
export function unregisterGatherKernels(backends: string[]): void {
  for (const backendName of backends) {
    if (tf.getKernel(GATHER_COLUMNS, backendName) !== undefined) tf.unregisterKernel(GATHER_COLUMNS, backendName);
  }
}
