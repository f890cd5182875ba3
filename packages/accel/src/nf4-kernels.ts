// Dequantization of @grpojs/model's quantized Conv1D weights (NF4 with or without double quant,
// row-wise int8) as tfjs kernels on the wasm and cpu backends: one native pass over the packed
// codes (native/napi/nf4.cc) instead of about ten whole-tensor tfjs ops, with the same float32 result
// bit for bit. The weight is frozen, so the kernels have no gradient; the model multiplies with
// their output as it did with the tfjs-decoded weight.
import * as tf from '@tensorflow/tfjs-core';

import { ACCEL_KERNELS, type AccelKernelAttrs } from './contract/kernels.js';
import { type BlasAddon, type NativeRegion } from './native.js';
import { allocate, locate, type Region, VocabKernelError } from './vocab-kernels.js';

/**
 * Kernel name: NF4 weight → float32 W [inFeatures, outFeatures] = code[c] · blockAbsmax[block].
 * Inputs: `codes` int32 [words] (4-bit codes in @grpojs/model's packHalves layout, 8·words ≥
 * in·out) and either `absmax` float32 [nBlocks] or, with double quant, `absmaxCodes` int32
 * [words2] (8-bit codes, packHalves), `absmax2` float32 [ceil(nBlocks / blockSize2)] and `offset`
 * float32 scalar (blockAbsmax = map[q] · absmax2 + offset); nBlocks = ceil(in·out / blockSize) in
 * bitsandbytes' [out, in] block order. Attrs: `inFeatures`, `outFeatures`, `blockSize`,
 * `inOutOrder` (codes in [in, out] order, needs in % blockSize = 0; else [out, in] order),
 * `code` (the 16 code values), and with double quant `map` (256 values) and `blockSize2`.
 */
export const NF4_DEQUANTIZE = ACCEL_KERNELS.nf4Dequantize;
/**
 * Kernel name: int8 weight → float32 W [inFeatures, outFeatures] = (values[c] · rowAbsmax[o]) ·
 * scale. Inputs: `codes` int32 [words] (bytes in [in, out] order, packHalves, 4·words ≥ in·out),
 * `rowAbsmax` float32 of out elements. Attrs: `inFeatures`, `outFeatures`, `values` (256: the
 * value of each byte), `scale`.
 */
export const INT8_DEQUANTIZE = ACCEL_KERNELS.int8Dequantize;

/** The addon's dequantization functions (native/napi/nf4.cc has the exact contract of each argument). */
export interface AddonNf4 {
  /** out[b] = map[code b] · absmax[b / blockSize] + offset, b < n (8-bit packHalves codes in `words` int32 words). */
  blockwise8Dequantize(options: {
    codes: NativeRegion;
    words: number;
    map: NativeRegion;
    absmax: NativeRegion;
    blockSize: number;
    offset: number;
    n: number;
    out: NativeRegion;
  }): void;
  /** W [inF, outF] = table[code] · absmax[block] (4-bit packHalves codes). */
  nf4Dequantize(options: {
    codes: NativeRegion;
    words: number;
    table: NativeRegion;
    absmax: NativeRegion;
    inF: number;
    outF: number;
    blockSize: number;
    inOutOrder: boolean;
    out: NativeRegion;
  }): void;
  /** W [inF, outF] = (table[code] · rowAbsmax[o]) · scale (8-bit packHalves codes). */
  int8Dequantize(options: {
    codes: NativeRegion;
    words: number;
    table: NativeRegion;
    rowAbsmax: NativeRegion;
    scale: number;
    inF: number;
    outF: number;
    out: NativeRegion;
  }): void;
}

const KERNEL_NAMES = [NF4_DEQUANTIZE, INT8_DEQUANTIZE];

// The attrs as the contract types them; a kernel still checks each (a caller may not be typed).
type Nf4Attrs = AccelKernelAttrs<'nf4Dequantize'>;
type Int8Attrs = AccelKernelAttrs<'int8Dequantize'>;

/** float32 copies of attr tables, keyed by the attr array (the model passes the same one each call). */
const tableCache = new WeakMap<number[], Float32Array>();
function table(values: unknown, length: number, kernel: string, name: string): Float32Array {
  if (!Array.isArray(values) || values.length !== length) {
    throw new VocabKernelError(`${kernel}: attr ${name} must be an array of ${length} numbers`);
  }
  let t = tableCache.get(values);
  if (t === undefined) {
    t = Float32Array.from(values as number[]);
    tableCache.set(values, t);
  }
  return t;
}

function positiveInt(v: unknown, kernel: string, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new VocabKernelError(`${kernel}: attr ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

function kernels(addon: AddonNf4, backendName: string): Record<string, tf.KernelFunc> {
  const size = (t: tf.TensorInfo): number => t.shape.reduce((p, d) => p * d, 1);
  const input = (inputs: tf.NamedTensorInfoMap, kernel: string, name: string, dtype: 'int32' | 'float32', elements?: number): tf.TensorInfo => {
    const t = inputs[name];
    if (t === undefined || t.dtype !== dtype || (elements !== undefined && size(t) !== elements)) {
      const want = elements === undefined ? '' : ` of ${elements} elements`;
      throw new VocabKernelError(`${kernel}: input ${name} must be ${dtype}${want}, got ${t ? `${t.dtype} [${t.shape}]` : 'nothing'}`);
    }
    return t;
  };
  const at = (backend: unknown, t: tf.TensorInfo, kernel: string): Region => {
    const r = locate(backendName, backend, t);
    if (r === null) throw new VocabKernelError(`${kernel}: a tensor's memory is not a plain ArrayBuffer (threaded wasm?)`);
    return r;
  };
  let scratch = new Float32Array(0); // double-quant block absmax, reused between calls
  return {
    [NF4_DEQUANTIZE]: ({ inputs, backend, attrs }) => {
      const k = NF4_DEQUANTIZE;
      const a = (attrs ?? {}) as unknown as Partial<Nf4Attrs>;
      const inF = positiveInt(a.inFeatures, k, 'inFeatures');
      const outF = positiveInt(a.outFeatures, k, 'outFeatures');
      const bs = positiveInt(a.blockSize, k, 'blockSize');
      if (a.inOutOrder && inF % bs !== 0) throw new VocabKernelError(`${k}: inOutOrder needs inFeatures (${inF}) % blockSize (${bs}) = 0`);
      const n = inF * outF;
      const nBlocks = Math.ceil(n / bs);
      const codes = input(inputs, k, 'codes', 'int32');
      if (codes.shape.length !== 1 || 8 * codes.shape[0] < n) throw new VocabKernelError(`${k}: codes [${codes.shape}] must be [≥ ${Math.ceil(n / 8)}] int32 words`);
      const code = table(a.code, 16, k, 'code');
      const doubleQuant = inputs.absmaxCodes !== undefined;
      const absmaxCodes = doubleQuant ? input(inputs, k, 'absmaxCodes', 'int32') : null;
      const bs2 = doubleQuant ? positiveInt(a.blockSize2, k, 'blockSize2') : 0;
      const absmax2 = doubleQuant ? input(inputs, k, 'absmax2', 'float32', Math.ceil(nBlocks / bs2)) : null;
      const offset = doubleQuant ? input(inputs, k, 'offset', 'float32', 1) : null;
      const absmax = doubleQuant ? null : input(inputs, k, 'absmax', 'float32', nBlocks);
      if (absmaxCodes && (absmaxCodes.shape.length !== 1 || 4 * absmaxCodes.shape[0] < nBlocks)) {
        throw new VocabKernelError(`${k}: absmaxCodes [${absmaxCodes.shape}] must be [≥ ${Math.ceil(nBlocks / 4)}] int32 words`);
      }
      const map = doubleQuant ? table(a.map, 256, k, 'map') : null;
      // Allocate the output first: a wasm malloc can replace the heap's ArrayBuffer.
      const out = allocate(backendName, backend, [inF, outF]);
      const [rc, ro] = [at(backend, codes, k), at(backend, out, k)];
      let scales: Region;
      if (absmaxCodes && absmax2 && offset && map) {
        if (scratch.length < nBlocks) scratch = new Float32Array(nBlocks);
        const [rq, r2, rOff] = [at(backend, absmaxCodes, k), at(backend, absmax2, k), at(backend, offset, k)];
        const offsetValue = new Float32Array(rOff.buffer, rOff.byteOffset, 1)[0];
        addon.blockwise8Dequantize({
          codes: rq, words: absmaxCodes.shape[0], map, absmax: r2, blockSize: bs2, offset: offsetValue, n: nBlocks, out: scratch,
        });
        scales = { buffer: scratch.buffer, byteOffset: 0 };
      } else {
        scales = at(backend, absmax as tf.TensorInfo, k);
      }
      addon.nf4Dequantize({
        codes: rc, words: codes.shape[0], table: code, absmax: scales, inF, outF, blockSize: bs, inOutOrder: Boolean(a.inOutOrder), out: ro,
      });
      return out;
    },
    [INT8_DEQUANTIZE]: ({ inputs, backend, attrs }) => {
      const k = INT8_DEQUANTIZE;
      const a = (attrs ?? {}) as unknown as Partial<Int8Attrs>;
      const inF = positiveInt(a.inFeatures, k, 'inFeatures');
      const outF = positiveInt(a.outFeatures, k, 'outFeatures');
      if (typeof a.scale !== 'number') throw new VocabKernelError(`${k}: attr scale must be a number`);
      const values = table(a.values, 256, k, 'values');
      const codes = input(inputs, k, 'codes', 'int32');
      if (codes.shape.length !== 1 || 4 * codes.shape[0] < inF * outF) {
        throw new VocabKernelError(`${k}: codes [${codes.shape}] must be [≥ ${Math.ceil((inF * outF) / 4)}] int32 words`);
      }
      const rowAbsmax = input(inputs, k, 'rowAbsmax', 'float32', outF);
      const out = allocate(backendName, backend, [inF, outF]);
      const [rc, rr, ro] = [at(backend, codes, k), at(backend, rowAbsmax, k), at(backend, out, k)];
      addon.int8Dequantize({ codes: rc, words: codes.shape[0], table: values, rowAbsmax: rr, scale: a.scale, inF, outF, out: ro });
      return out;
    },
  };
}

/**
 * Registers the dequantization kernels on `backends` (skipping any already there, and all of
 * them when the built addon predates native/napi/nf4.cc).
 */
export function registerNf4Kernels(addon: BlasAddon, backends: string[]): void {
  const native = addon as BlasAddon & Partial<AddonNf4>;
  if (typeof native.nf4Dequantize !== 'function') return;
  for (const backendName of backends) {
    for (const [kernelName, kernelFunc] of Object.entries(kernels(native as BlasAddon & AddonNf4, backendName))) {
      if (tf.getKernel(kernelName, backendName) === undefined) tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
  }
}

/** Removes the dequantization kernels from `backends`. */
export function unregisterNf4Kernels(backends: string[]): void {
  for (const backendName of backends) {
    for (const kernelName of KERNEL_NAMES) {
      if (tf.getKernel(kernelName, backendName) !== undefined) tf.unregisterKernel(kernelName, backendName);
    }
  }
}
