// The vocab-sized kernels of the addon (native/napi/vocab.cc) as tfjs kernels on the wasm and cpu
// backends, so that a model calls them with tf.engine().runKernel and gets engine-tracked tensors
// (disposed by tf.tidy like any other). They have no tfjs gradient: the model wraps them in a
// tf.customGrad (the kernel itself returns the gradient it needs).
import * as tf from '@tensorflow/tfjs-core';

import type { NativeSampleRow } from './contract/api.js';
import { ACCEL_KERNELS, type AccelKernelAttrs } from './contract/kernels.js';
import { type AddonVocab } from './native.js';

/**
 * Kernel name: inputs `{ logits [n, V] float32, targets [n] int32 }`, attrs `{ temperature,
 * withEntropy, withGrad }`; outputs `[logp [n], entropy [n] (withEntropy), grad [n, V] (withGrad)]`
 * with z = logits / temperature: logp = z[target] − logsumexp(z), entropy = −Σ p log p,
 * grad = (onehot(target) − softmax(z)) / temperature = d logp / d logits.
 */
export const LOG_SOFTMAX_GATHER = ACCEL_KERNELS.logSoftmaxGather;

/** A tensor's data: a buffer and a byte offset into it. */
export interface Region {
  buffer: ArrayBuffer;
  byteOffset: number;
}

/** Where a float32/int32 tensor's data lives on the wasm or cpu backend, or null. */
export function locate(backendName: string, backend: unknown, t: tf.TensorInfo): Region | null {
  if (backendName === 'wasm') {
    const wasm = backend as { wasm: { HEAPU8: Uint8Array }; dataIdMap: { get(id: tf.DataId): { memoryOffset: number | null } | undefined } };
    const buffer = wasm.wasm.HEAPU8.buffer;
    const offset = wasm.dataIdMap.get(t.dataId)?.memoryOffset;
    return buffer instanceof ArrayBuffer && offset != null ? { buffer, byteOffset: offset } : null;
  }
  const values = (backend as { data: { get(id: tf.DataId): { values?: unknown } | undefined } }).data.get(t.dataId)?.values;
  const ok = (values instanceof Float32Array || values instanceof Int32Array) && values.buffer instanceof ArrayBuffer;
  return ok ? { buffer: values.buffer as ArrayBuffer, byteOffset: values.byteOffset } : null;
}

/** A fresh float32 tensor of `shape` on `backend` (contents overwritten by the kernel). */
export function allocate(backendName: string, backend: unknown, shape: number[]): tf.TensorInfo {
  if (backendName === 'wasm') return (backend as { makeOutput(s: number[], d: 'float32'): tf.TensorInfo }).makeOutput(shape, 'float32');
  const size = shape.reduce((p, d) => p * d, 1);
  return (backend as { makeTensorInfo(s: number[], d: 'float32', v: Float32Array): tf.TensorInfo }).makeTensorInfo(shape, 'float32', new Float32Array(size));
}

/** The addon's sampleRow as a {@link NativeSampleRow} (−1 for logits outside a plain ArrayBuffer). */
export function makeSampleRow(addon: AddonVocab): NativeSampleRow {
  return (logits, temperature, threshold, u) =>
    logits.buffer instanceof ArrayBuffer ? addon.sampleRow({ logits, vocab: logits.length, temperature, threshold, u }) : -1;
}

/** Error for inputs the vocab kernels do not take. */
export class VocabKernelError extends Error {
  override name = 'VocabKernelError';
}

/** The kernel function of {@link LOG_SOFTMAX_GATHER} for `backendName`. */
export function makeLogSoftmaxGather(addon: AddonVocab, backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const logits = inputs.logits as tf.TensorInfo;
    const targets = inputs.targets as tf.TensorInfo;
    const a = (attrs ?? {}) as Partial<AccelKernelAttrs<'logSoftmaxGather'>>;
    const temperature = a.temperature ?? 1;
    if (logits.shape.length !== 2 || logits.dtype !== 'float32') {
      throw new VocabKernelError(`${LOG_SOFTMAX_GATHER}: logits must be float32 [n, V], got ${logits.dtype} [${logits.shape}]`);
    }
    const [n, V] = logits.shape;
    if (targets.dtype !== 'int32' || targets.shape.length !== 1 || targets.shape[0] !== n) {
      throw new VocabKernelError(`${LOG_SOFTMAX_GATHER}: targets must be int32 [${n}], got ${targets.dtype} [${targets.shape}]`);
    }
    if (!(temperature > 0) || !Number.isFinite(temperature)) {
      throw new VocabKernelError(`${LOG_SOFTMAX_GATHER}: temperature must be finite and > 0, got ${temperature}`);
    }
    // Allocate every output first: a wasm malloc can replace the heap's ArrayBuffer.
    const logp = allocate(backendName, backend, [n]);
    const entropy = a.withEntropy ? allocate(backendName, backend, [n]) : null;
    const grad = a.withGrad ? allocate(backendName, backend, [n, V]) : null;
    const at = (t: tf.TensorInfo): Region => {
      const r = locate(backendName, backend, t);
      if (r === null) throw new VocabKernelError(`${LOG_SOFTMAX_GATHER}: a tensor's memory is not a plain ArrayBuffer (threaded wasm?)`);
      return r;
    };
    const [rl, rt, rp] = [at(logits), at(targets), at(logp)];
    const re = entropy ? at(entropy) : null;
    const rg = grad ? at(grad) : null;
    addon.logSoftmaxGather({ logits: rl, targets: rt, rows: n, vocab: V, invT: 1 / temperature, logp: rp, entropy: re, grad: rg });
    return [logp, ...(entropy ? [entropy] : []), ...(grad ? [grad] : [])];
  };
}

/** Registers the vocab kernels on `backends` (skipping any already there); returns the names added. */
export function registerVocabKernels(addon: AddonVocab, backends: string[]): string[] {
  const added: string[] = [];
  for (const backendName of backends) {
    if (tf.getKernel(LOG_SOFTMAX_GATHER, backendName) !== undefined) continue;
    tf.registerKernel({ kernelName: LOG_SOFTMAX_GATHER, backendName, kernelFunc: makeLogSoftmaxGather(addon, backendName) });
    added.push(`${backendName}/${LOG_SOFTMAX_GATHER}`);
  }
  return added;
}

/** Removes the vocab kernels from every backend they were registered on. */
export function unregisterVocabKernels(backends: string[]): void {
  for (const backendName of backends) {
    if (tf.getKernel(LOG_SOFTMAX_GATHER, backendName) !== undefined) tf.unregisterKernel(LOG_SOFTMAX_GATHER, backendName);
  }
}
