// Column and row gathers as tfjs kernels on the wasm and cpu backends, one native loop each
// (native/napi/gather.cc): out[i, r] = x[r, indices[i]] and out[i, :] = x[indices[i], :]. The model's
// tied LM head on wasm is stored transposed ([C, vocab], lm-head.ts), so its token-embedding lookup
// gathers columns (tfjs' GatherV2 along axis 1 and a transpose: ~100 ms per 512 tokens); the
// position embedding gathers rows (GatherV2: ~20 ms per 512 rows of 768, element by element).
// Neither has a gradient: the embedding tables are frozen.
import * as tf from '@tensorflow/tfjs-core';

import { ACCEL_KERNELS } from './contract/kernels.js';
import { type BlasAddon, type NativeRegion } from './native.js';
import { allocate, locate, type Region, VocabKernelError } from './vocab-kernels.js';

/** Kernel name: inputs `{ x [R, V] float32, indices [n] int32 in [0, V) }` → `[n, R]`, row i = column indices[i] of x. */
export const GATHER_COLUMNS = ACCEL_KERNELS.gatherColumns;

/** Kernel name: inputs `{ x [R, C] float32, indices [n] int32 in [0, R) }` → `[n, C]`, row i = row indices[i] of x. */
export const GATHER_ROWS = ACCEL_KERNELS.gatherRows;

/** src [rows, columns], ids [count] int32 → out ([count, rows] for columns, [count, columns] for rows). */
type GatherFn = (options: { src: NativeRegion; rows: number; columns: number; ids: NativeRegion; count: number; out: NativeRegion }) => void;

/** The addon's gathers (native/napi/gather.cc has the exact contract). */
export interface AddonGather {
  gatherColumns: GatherFn;
  gatherRows: GatherFn;
}

function makeGather(kernel: string, gather: GatherFn, backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { x, indices } = inputs as Record<string, tf.TensorInfo>;
    if (x.dtype !== 'float32' || x.shape.length !== 2) {
      throw new VocabKernelError(`${kernel}: x must be float32 [R, C], got ${x.dtype} [${x.shape}]`);
    }
    if (indices.dtype !== 'int32' || indices.shape.length !== 1) {
      throw new VocabKernelError(`${kernel}: indices must be int32 [n], got ${indices.dtype} [${indices.shape}]`);
    }
    const [R, V] = x.shape;
    const n = indices.shape[0];
    const out = allocate(backendName, backend, kernel === GATHER_ROWS ? [n, V] : [n, R]);
    const at = (t: tf.TensorInfo): Region => {
      const r = locate(backendName, backend, t);
      if (r === null) throw new VocabKernelError(`${kernel}: a tensor's memory is not a plain ArrayBuffer (threaded wasm?)`);
      return r;
    };
    const [rx, ri, ro] = [at(x), at(indices), at(out)];
    try {
      gather({ src: rx, rows: R, columns: V, ids: ri, count: n, out: ro });
    } catch (error) {
      (backend as { disposeData(id: tf.DataId): void }).disposeData(out.dataId);
      throw new VocabKernelError(`${kernel}: ${(error as Error).message}`);
    }
    return out;
  };
}

/** Registers the gathers on `backends` (skipping any already there). */
export function registerGatherKernels(addon: BlasAddon, backends: string[]): void {
  const native = addon as unknown as Partial<AddonGather>;
  if (typeof native.gatherColumns !== 'function' || typeof native.gatherRows !== 'function') return; // an addon built before these kernels
  const { gatherColumns, gatherRows } = native as AddonGather;
  for (const backendName of backends) {
    for (const [kernelName, fn] of [[GATHER_COLUMNS, gatherColumns], [GATHER_ROWS, gatherRows]] as const) {
      if (tf.getKernel(kernelName, backendName) === undefined) tf.registerKernel({ kernelName, backendName, kernelFunc: makeGather(kernelName, fn, backendName) });
    }
  }
}

/** Removes the gathers from `backends`. */
export function unregisterGatherKernels(backends: string[]): void {
  for (const backendName of backends) {
    for (const kernelName of [GATHER_COLUMNS, GATHER_ROWS]) {
      if (tf.getKernel(kernelName, backendName) !== undefined) tf.unregisterKernel(kernelName, backendName);
    }
  }
}
