/**
 * bitsandbytes' signed dynamic 8-bit code map and its blockwise 8-bit quantizer. NF4 double
 * quantization stores the per-64-block absmax values with this map (in blocks of 256), so the map
 * and the quantizer's rounding must match bitsandbytes: the map is rebuilt from the
 * exact float32 values of `create_dynamic_map(signed=True)`'s definition (see below), and the
 * search is a port of the CUDA `dQuantize<0>` binary search, including its tie behaviour.
 */
import { QuantizationError } from '../adapters/errors.js';

const f32 = Math.fround;

let cachedMap: Float32Array | undefined;

/**
 * The 256-entry signed dynamic map, sorted ascending: for i = 0..6 the 2^i midpoints of
 * linspace(0.1, 1, 2^i + 1) times 10^(i−6), both signs, plus 0 and 1 (so map[0] = −0.99296875,
 * map[127] = 0, map[255] = 1).
 *
 * Each entry is the correctly rounded float32 of its exact value: with k = 2^i, midpoint j is
 * 10^(i−6) · (2k + 18j + 9) / (20k), a ratio of integers computed with one double division. torch
 * builds the map with float32 `linspace` whose rounding depends on the CPU kernel (vector width,
 * FMA), so bitsandbytes' own table can differ from this one by 1 ulp in a few entries on some
 * machines; the test suite checks both facts. Returns a shared array: do not modify it.
 */
export function signedDynamicMap(): Float32Array {
  if (cachedMap) return cachedMap;
  const data: number[] = [];
  for (let i = 0; i < 7; i++) {
    const k = 2 ** i;
    for (let j = 0; j < k; j++) {
      const v = Math.fround((2 * k + 18 * j + 9) / (20 * k * 10 ** (6 - i)));
      data.push(v, -v);
    }
  }
  data.push(0, 1);
  data.sort((a, b) => a - b);
  cachedMap = Float32Array.from(data);
  return cachedMap;
}

/**
 * Index of `x` (already divided by the block absmax) in the sorted 256-entry `code`: a port of
 * bitsandbytes' CUDA `dQuantize<0>` (deterministic rounding). A NaN input (0/0 for an all-zero
 * block) yields index 0, as on the GPU.
 */
export function quantizeToDynamicCode(code: Float32Array, x: number): number {
  let pivot = 127;
  let upperPivot = 255;
  let lowerPivot = 0;
  let lower = -1;
  let upper = 1;
  let val = code[pivot];
  for (let i = 64; i > 0; i >>= 1) {
    if (x > val) {
      lowerPivot = pivot;
      lower = val;
      pivot += i;
    } else {
      upperPivot = pivot;
      upper = val;
      pivot -= i;
    }
    val = code[pivot];
  }
  if (upperPivot === 255) upper = code[upperPivot];
  if (lowerPivot === 0) lower = code[lowerPivot];
  if (x > val) {
    const midpoint = f32(f32(upper + val) * 0.5);
    return x > midpoint ? upperPivot : pivot;
  }
  const midpoint = f32(f32(lower + val) * 0.5);
  return x < midpoint ? lowerPivot : pivot;
}

/** Result of {@link quantizeBlockwise8}: one byte per value and one float32 absmax per block. */
export interface Blockwise8 {
  /** [values.length] indices into the map. */
  codes: Uint8Array;
  /** [ceil(values.length / blockSize)] max |value| of each block. */
  absmax: Float32Array;
  blockSize: number;
}

/**
 * bitsandbytes `quantize_blockwise` with the signed dynamic map: per block absmax, then each value
 * times float32(1/absmax) (the kernel multiplies by the reciprocal) is looked up with
 * {@link quantizeToDynamicCode}.
 */
export function quantizeBlockwise8(values: Float32Array, blockSize = 256): Blockwise8 {
  if (!Number.isInteger(blockSize) || blockSize <= 0) {
    throw new QuantizationError(`quantizeBlockwise8: blockSize must be a positive integer, got ${blockSize}.`);
  }
  const code = signedDynamicMap();
  const nBlocks = Math.ceil(values.length / blockSize);
  const codes = new Uint8Array(values.length);
  const absmax = new Float32Array(nBlocks);
  for (let b = 0; b < nBlocks; b++) {
    const start = b * blockSize;
    const end = Math.min(start + blockSize, values.length);
    let m = 0;
    for (let i = start; i < end; i++) m = Math.max(m, Math.abs(values[i]));
    absmax[b] = m;
    const inv = f32(1 / m);
    for (let i = start; i < end; i++) codes[i] = quantizeToDynamicCode(code, f32(values[i] * inv));
  }
  return { codes, absmax, blockSize };
}

/** Inverse of {@link quantizeBlockwise8}: map[code] · absmax (float32), as `dequantize_blockwise`. */
export function dequantizeBlockwise8(q: Blockwise8): Float32Array {
  const code = signedDynamicMap();
  const out = new Float32Array(q.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = code[q.codes[i]] * q.absmax[Math.floor(i / q.blockSize)];
  return out;
}
