/**
 * NF4 (4-bit NormalFloat) quantization with optional double quantization, bit-for-bit as
 * bitsandbytes `quantize_4bit(quant_type="nf4", blocksize=64, compress_statistics=True)`:
 *
 * - the weight is flattened row-major in its [out, in] (nn.Linear) layout and cut in blocks of 64;
 * - per block, absmax = max |w|; each w is multiplied by float32(1/absmax) (the CUDA kernel stores
 *   the reciprocal) and mapped to one of the 16 NF4 codes by comparing with the float32 midpoints
 *   of adjacent codes, `x > midpoint` choosing the upper code (so ties go to the lower code);
 * - codes are packed two per byte, the even index in the high nibble;
 * - double quant: offset = mean(absmax) (computed in float64, stored as float32), then
 *   absmax − offset is quantized with the signed dynamic 8-bit map in blocks of 256, keeping a
 *   float32 absmax per 256-block; dequantized absmax = map[q]·absmax2 + offset (two float32 ops).
 *
 * One deliberate difference: for an all-zero block the GPU kernel computes 0·(1/0) = NaN and stores
 * code 0 (−1.0), which dequantizes to −absmax′ ≠ 0 under double quant; we store code 7 (0.0) so a
 * zero block stays exactly zero.
 */
import { QuantizationError } from '../adapters/errors.js';
import { dequantizeBlockwise8, quantizeBlockwise8, signedDynamicMap } from './dynamic-map.js';

/** The 16 NF4 code values (float32), index = 4-bit code. */
export const NF4_CODE = Float32Array.from([
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
  -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
  0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
  0.7229568362236023, 1.0,
]);

/** float32 midpoints between adjacent codes (bitsandbytes' decision-tree thresholds). */
const THRESHOLDS = Float32Array.from({ length: 15 }, (_, i) => (NF4_CODE[i] + NF4_CODE[i + 1]) / 2);

/** Block sizes bitsandbytes accepts for 4-bit quantization. */
export const NF4_BLOCK_SIZES = [64, 128, 256, 512, 1024, 2048, 4096] as const;

/** Double-quantized absmax: 8-bit codes in blocks of 256 plus an offset. */
export interface NF4DoubleQuant {
  /** [nBlocks] indices into the signed dynamic map. */
  absmaxCodes: Uint8Array;
  /** [ceil(nBlocks / 256)] float32 absmax of (absmax − offset) per 256-block. */
  absmax2: Float32Array;
  /** float32 mean of the block absmax values. */
  offset: number;
  /** 256 (bitsandbytes' `blocksize` of state2). */
  blockSize2: number;
}

/** An NF4-quantized weight, in bitsandbytes' layout. */
export interface NF4Weights {
  /** Number of weights (out·in). */
  length: number;
  blockSize: number;
  /** [ceil(length / 2)] two codes per byte, even index in the high nibble. */
  packed: Uint8Array;
  /** [ceil(length / blockSize)] float32 absmax per block; null when double-quantized. */
  absmax: Float32Array | null;
  /** Quantized absmax when double quant is on, else null. */
  doubleQuant: NF4DoubleQuant | null;
}

/** Options of {@link quantizeNF4}. */
export interface NF4Options {
  /** Default 64 (QLoRA). */
  blockSize?: number;
  /** Quantize the block absmax values too (QLoRA's double quant). Default true. */
  doubleQuant?: boolean;
}

/**
 * NF4 code index of a value already scaled into [−1, 1]: the number of thresholds below x, found
 * with the same 4-level comparison tree as bitsandbytes' `dQuantizeNF4` (NaN → 0, as there).
 */
export function nf4Code(x: number): number {
  let q = x > THRESHOLDS[7] ? 8 : 0;
  if (x > THRESHOLDS[q + 3]) q += 4;
  if (x > THRESHOLDS[q + 1]) q += 2;
  if (x > THRESHOLDS[q]) q += 1;
  return q;
}

/**
 * Quantizes a weight given flattened row-major in its [out, in] layout (transpose a GPT-2 Conv1D
 * [in, out] weight first). Pure host computation; the input is not modified.
 */
export function quantizeNF4(weightOutIn: Float32Array, options: NF4Options = {}): NF4Weights {
  const blockSize = options.blockSize ?? 64;
  if (!(NF4_BLOCK_SIZES as readonly number[]).includes(blockSize)) {
    throw new QuantizationError(
      `quantizeNF4: options.blockSize must be one of ${NF4_BLOCK_SIZES.join(', ')}, got ${blockSize}.`,
    );
  }
  const n = weightOutIn.length;
  if (n === 0) throw new QuantizationError('quantizeNF4: weightOutIn is empty; pass the flattened [out, in] weight.');
  const nBlocks = Math.ceil(n / blockSize);
  const absmax = new Float32Array(nBlocks);
  const packed = new Uint8Array(Math.ceil(n / 2));
  for (let b = 0; b < nBlocks; b++) {
    const start = b * blockSize;
    const end = Math.min(start + blockSize, n);
    let m = 0;
    for (let i = start; i < end; i++) {
      const v = weightOutIn[i];
      if (!Number.isFinite(v)) {
        throw new QuantizationError(`quantizeNF4: weightOutIn[${i}] is ${v}; weights must be finite.`);
      }
      m = Math.max(m, Math.abs(v));
    }
    absmax[b] = m;
    const inv = Math.fround(1 / m);
    for (let i = start; i < end; i++) {
      const q = m === 0 ? 7 : nf4Code(Math.fround(weightOutIn[i] * inv));
      packed[i >> 1] |= i % 2 === 0 ? q << 4 : q;
    }
  }
  if (options.doubleQuant === false) return { length: n, blockSize, packed, absmax, doubleQuant: null };
  let sum = 0;
  for (const v of absmax) sum += v;
  const offset = Math.fround(sum / nBlocks);
  const centered = absmax.map((v) => v - offset);
  const q8 = quantizeBlockwise8(centered, 256);
  return {
    length: n,
    blockSize,
    packed,
    absmax: null,
    doubleQuant: { absmaxCodes: q8.codes, absmax2: q8.absmax, offset, blockSize2: 256 },
  };
}

/** The float32 per-block absmax of `q` (dequantized when double-quantized). */
export function nf4BlockAbsmax(q: NF4Weights): Float32Array {
  if (q.absmax) return q.absmax;
  if (!q.doubleQuant) throw new QuantizationError('nf4BlockAbsmax: NF4Weights has neither absmax nor doubleQuant.');
  const dq = q.doubleQuant;
  const scaled = dequantizeBlockwise8({ codes: dq.absmaxCodes, absmax: dq.absmax2, blockSize: dq.blockSize2 });
  return scaled.map((v) => v + dq.offset);
}

/** The 4-bit code of weight `i` (unpacked from the high/low nibble). */
export function nf4CodeAt(q: NF4Weights, i: number): number {
  const byte = q.packed[i >> 1];
  return i % 2 === 0 ? byte >> 4 : byte & 15;
}

/** Dequantizes to float32, flattened [out, in]: code[q] · absmax (one float32 multiply). */
export function dequantizeNF4(q: NF4Weights): Float32Array {
  const absmax = nf4BlockAbsmax(q);
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = NF4_CODE[nf4CodeAt(q, i)] * absmax[Math.floor(i / q.blockSize)];
  return out;
}

/** Bytes bitsandbytes would hold for `q`: packed codes + absmax (or 8-bit absmax + absmax2 + offset). */
export function nf4StorageBytes(q: NF4Weights): number {
  if (q.doubleQuant) {
    return q.packed.length + q.doubleQuant.absmaxCodes.length + 4 * q.doubleQuant.absmax2.length + 4;
  }
  return q.packed.length + 4 * (q.absmax?.length ?? 0);
}

/** The signed dynamic map used for double quant (re-exported for tests and docs). */
export { signedDynamicMap };
