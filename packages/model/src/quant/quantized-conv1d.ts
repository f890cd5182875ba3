/**
 * A frozen GPT-2 Conv1D whose weight lives on the backend quantized (NF4 with optional double
 * quant, or int8 row-wise absmax) and is dequantized with whole-tensor ops inside `apply`: split
 * the int32-packed codes, look them up in a shared code table (gatherND), multiply by the
 * per-block (or per-row) scale, then y = x·W + b. When @grpojs/accel's dequantization kernels are
 * registered (native-nf4.ts) the same tensors are decoded in one native pass instead, to the
 * same float32 weight bit for bit. Codes are stored in the Conv1D [in, out] order
 * whenever the 64-blocks of bitsandbytes' [out, in] layout tile the input dimension (in % 64 = 0,
 * true for every GPT-2), so no transpose is needed; otherwise they are decoded in [out, in] order
 * and transposed. Nothing here is trainable; the dequantized weight is a temporary of the
 * caller's tidy, so memory between steps stays at the packed size reported by `weightBytes()`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { blasMatMulActive } from '../runtime/accel.js';
import type { Conv1DLayer } from '../ops/linear.js';
import { transposeHost } from '../io/host-transpose.js';
import type { HostTensor } from '../io/safetensors.js';
import { QuantizationError } from '../adapters/errors.js';
import { nativeInt8Dequantize, nativeNf4Dequantize, type NativeNf4Inputs } from './native-nf4.js';
import { signedDynamicMap } from './dynamic-map.js';
import { INT8_INV_127, quantizeInt8 } from './int8.js';
import { NF4_CODE, nf4CodeAt, quantizeNF4, type NF4Options } from './nf4.js';
import { decodeHalves, halfTable, packHalves } from './packing.js';

/** The value of each byte of an int8 code (two's complement). */
const SIGNED_BYTES = Float32Array.from({ length: 256 }, (_, v) => (v < 128 ? v : v - 256));

/** The code tables as the native kernels' attrs take them (plain arrays, built once). */
let nativeTables: { nf4: number[]; map: number[]; int8: number[] } | undefined;
function tables(): { nf4: number[]; map: number[]; int8: number[] } {
  nativeTables ??= { nf4: Array.from(NF4_CODE), map: Array.from(signedDynamicMap()), int8: Array.from(SIGNED_BYTES) };
  return nativeTables;
}

/** Quantization kinds for frozen base weights. */
export type QuantKind = 'nf4' | 'int8';

/** Options of {@link createQuantizedConv1D}. */
export interface QuantizedConv1DOptions extends NF4Options {
  /** Used in error messages, e.g. `h.0.attn.c_attn`. */
  name?: string;
}

/**
 * An NF4 layer's codes and block scales for a consumer that decodes them itself (the native decode
 * engine): table[code] · absmax[block] is the dequantized weight, bit for bit.
 */
export interface NF4State {
  /** The 4-bit codes in packHalves words (packing.ts); code f = i·out + o when inOutOrder, else o·in + i. */
  codeWords: Int32Array;
  /** [ceil(in·out / blockSize)] fp32 block scales in bitsandbytes' order (blocks of the [out, in] weight), double quant already applied. */
  absmax: Float32Array;
  blockSize: number;
  /** Whether codes are in the Conv1D [in, out] order (in % blockSize = 0). */
  inOutOrder: boolean;
  /** The 16 code values (NF4_CODE). */
  table: Float32Array;
}

/** A quantized Conv1D; also exposes its dequantized weight (for merging LoRA adapters). */
export interface QuantizedConv1D extends Conv1DLayer {
  readonly kind: QuantKind;
  /** The dequantized weight [in, out] (float32). Runs in the caller's tidy; the caller disposes. */
  readWeight(): tf.Tensor2D;
  /** A copy of the bias [out]. The caller disposes. */
  readBias(): tf.Tensor1D;
  /** NF4 layers: host copies of the codes and the fp32 block scales ({@link NF4State}); int8: null. */
  readNf4State(): NF4State | null;
  /**
   * Keep the dequantized fp32 weight between calls (true) or decode it on every apply (false, the
   * default). Caching trades the memory saving for speed, e.g. during token-by-token generation
   * where decoding would dominate; weightBytes() counts the cache while it is held.
   */
  setDequantizedCache(enabled: boolean): void;
  /** Whether {@link setDequantizedCache} is on. */
  readonly dequantizedCacheEnabled: boolean;
}

/**
 * Backend bytes {@link createQuantizedConv1D} will hold for a Conv1D [in, out] (codes packed in
 * int32 words, block scales, code tables, bias), computed from the shape alone so a loader can
 * print memory before quantizing. Equals the layer's `weightBytes()`.
 */
export function quantizedConv1DBytes(
  inFeatures: number,
  outFeatures: number,
  kind: QuantKind,
  options: NF4Options = {},
): number {
  const n = inFeatures * outFeatures;
  const bias = 4 * outFeatures;
  if (kind === 'int8') return 4 * Math.ceil(n / 4) + 4 * outFeatures + 4 + bias;
  const bs = options.blockSize ?? 64;
  const nBlocks = Math.ceil(n / bs);
  const codes = 4 * Math.ceil(n / 8);
  if (options.doubleQuant === false) return codes + 4 * nBlocks + bias;
  const nBlocks2 = Math.ceil(nBlocks / 256);
  return codes + 4 * Math.ceil(nBlocks / 4) + 4 * nBlocks2 + 4 + bias;
}

/**
 * x [n, in] · w [in, out] + bias for a frozen, per-call `w`, differentiable w.r.t. x only; `save`
 * keeps the temporary w alive for the backward pass after the caller's tidy has ended.
 * - BLAS matmuls (@grpojs/accel): the bias runs in the fused matmul's epilogue and the gradient is
 *   dy·wᵀ alone (tfjs's own fused-matmul gradient would also compute xᵀ·dy for the frozen w).
 * - plain wasm: the input gradient is (w·dyᵀ)ᵀ instead of tfjs-core's dy·wᵀ (transposeB re-packs w
 *   in XNNPACK and is ~4× slower at GPT-2 sizes).
 * - other backends: tfjs's matMul + add.
 */
function frozenTempLinear(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  const backend = tf.getBackend();
  const blas = blasMatMulActive(backend);
  if (backend !== 'wasm' && !blas) return tf.add(tf.matMul(x, w), bias);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    (args[1] as tf.GradSaveFunc)([w]);
    const input = args[0] as tf.Tensor2D;
    return {
      value: blas ? (tf.fused.matMul({ a: input, b: w, bias }) as tf.Tensor2D) : tf.add(tf.matMul(input, w), bias),
      // dy [n, out] → dx [n, in] = dy · wᵀ, or (w · dyᵀ)ᵀ on plain wasm
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const weight = saved[0] as tf.Tensor2D;
        return blas ? tf.matMul(dy as tf.Tensor2D, weight, false, true) : tf.transpose(tf.matMul(weight, tf.transpose(dy as tf.Tensor2D)));
      },
    };
  });
  return op(x) as tf.Tensor2D;
}

/**
 * Quantizes a Conv1D weight [in, out] (the HF layout) and returns a layer that keeps it packed on
 * the backend. The weight is transposed to [out, in] first because bitsandbytes quantizes the
 * nn.Linear layout; blocks of 64 therefore run along the input dimension of each output row.
 */
export function createQuantizedConv1D(
  weightInOut: HostTensor,
  bias: HostTensor,
  kind: QuantKind,
  options: QuantizedConv1DOptions = {},
): QuantizedConv1D {
  const name = options.name ?? 'Conv1D';
  if (weightInOut.shape.length !== 2 || weightInOut.shape[0] * weightInOut.shape[1] !== weightInOut.data.length) {
    throw new QuantizationError(
      `createQuantizedConv1D(${name}): weight must be 2-D [in, out] with matching data, got shape [${weightInOut.shape.join(', ')}] and ${weightInOut.data.length} values.`,
    );
  }
  const [inFeatures, outFeatures] = weightInOut.shape;
  if (bias.shape.length !== 1 || bias.shape[0] !== outFeatures || bias.data.length !== outFeatures) {
    throw new QuantizationError(
      `createQuantizedConv1D(${name}): bias shape [${bias.shape.join(', ')}] must be [${outFeatures}] (the weight's out dimension).`,
    );
  }
  if (kind !== 'nf4' && kind !== 'int8') {
    throw new QuantizationError(`createQuantizedConv1D(${name}): kind must be 'nf4' or 'int8', got '${String(kind)}'.`);
  }
  const weightOutIn = transposeHost(weightInOut.data, inFeatures, outFeatures);
  const n = weightOutIn.length;
  const held: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    held.push(tf.keep(t)); // owned by the layer even if created inside a caller's tidy
    return t;
  };
  const biasT = keep(tf.tensor1d(bias.data, 'float32'));
  let dequantize: () => tf.Tensor2D; // [in, out]
  let nf4State: () => NF4State | null = () => null;

  if (kind === 'nf4') {
    const q = quantizeNF4(weightOutIn, options);
    const bs = q.blockSize;
    const nBlocks = Math.ceil(n / bs);
    // [in, out] order when blocks tile the input dimension, else bitsandbytes' [out, in] order.
    const inOutOrder = inFeatures % bs === 0;
    const codes = new Uint8Array(n);
    for (let o = 0; o < outFeatures; o++) {
      for (let i = 0; i < inFeatures; i++) {
        codes[inOutOrder ? i * outFeatures + o : o * inFeatures + i] = nf4CodeAt(q, o * inFeatures + i);
      }
    }
    const codeWords = keep(tf.tensor1d(packHalves(codes, 4, 7), 'int32'));
    let blockAbsmax: () => tf.Tensor1D; // [nBlocks] in bitsandbytes' order
    let nativeInputs: NativeNf4Inputs;
    if (q.doubleQuant) {
      const dq = q.doubleQuant;
      const nBlocks2 = dq.absmax2.length;
      const absmaxWords = keep(tf.tensor1d(packHalves(dq.absmaxCodes, 8), 'int32'));
      const absmax2 = keep(tf.tensor2d(dq.absmax2, [nBlocks2, 1], 'float32'));
      const offset = keep(tf.scalar(dq.offset, 'float32'));
      nativeInputs = { codes: codeWords, absmaxCodes: absmaxWords, absmax2, offset };
      blockAbsmax = () => {
        const mapped = decodeHalves(absmaxWords, halfTable('dynamic-map', signedDynamicMap(), 8)); // [≥ nBlocks]
        const used = mapped.slice([0], [nBlocks]);
        const padded = nBlocks2 * 256 === nBlocks ? used : tf.concat([used, tf.zeros([nBlocks2 * 256 - nBlocks])]);
        const scaled = tf.mul(padded.reshape([nBlocks2, 256]), absmax2).reshape([nBlocks2 * 256]);
        return tf.add(scaled.slice([0], [nBlocks]), offset);
      };
    } else {
      const absmax = keep(tf.tensor1d(q.absmax as Float32Array, 'float32'));
      nativeInputs = { codes: codeWords, absmax };
      blockAbsmax = () => absmax;
    }
    nf4State = () => {
      // the scales the tfjs dequantization multiplies by (map[q] · absmax2 + offset: two float32 ops)
      const scales = tf.tidy(() => tf.clone(blockAbsmax())); // [nBlocks]
      const absmax = scales.dataSync() as Float32Array;
      scales.dispose();
      return { codeWords: codeWords.dataSync() as Int32Array, absmax, blockSize: bs, inOutOrder, table: NF4_CODE };
    };
    const { nf4: code, map } = tables();
    const nativeAttrs = { inFeatures, outFeatures, blockSize: bs, inOutOrder, code, map, blockSize2: q.doubleQuant?.blockSize2 ?? 256 };
    dequantize = () => {
      const native = nativeNf4Dequantize(nativeInputs, nativeAttrs);
      if (native) return native;
      const values = decodeHalves(codeWords, halfTable('nf4', NF4_CODE, 4)).slice([0], [n]);
      if (inOutOrder) {
        const perRow = inFeatures / bs; // blocks per output row
        const scale = blockAbsmax().reshape([outFeatures, perRow]).transpose().reshape([perRow, 1, outFeatures]);
        return tf.mul(values.reshape([perRow, bs, outFeatures]), scale).reshape([inFeatures, outFeatures]);
      }
      const padded = nBlocks * bs === n ? values : tf.concat([values, tf.zeros([nBlocks * bs - n])]);
      const w = tf.mul(padded.reshape([nBlocks, bs]), blockAbsmax().reshape([nBlocks, 1])).reshape([nBlocks * bs]);
      return w.slice([0], [n]).reshape([outFeatures, inFeatures]).transpose();
    };
  } else {
    const q = quantizeInt8(weightOutIn, [outFeatures, inFeatures]);
    const bytes = new Uint8Array(n); // two's complement int8 codes in [in, out] order
    for (let o = 0; o < outFeatures; o++) {
      for (let i = 0; i < inFeatures; i++) bytes[i * outFeatures + o] = q.codes[o * inFeatures + i] & 255;
    }
    const codeWords = keep(tf.tensor1d(packHalves(bytes, 8), 'int32'));
    const rowAbsmax = keep(tf.tensor2d(q.rowAbsmax, [1, outFeatures], 'float32'));
    const inv127 = keep(tf.scalar(INT8_INV_127, 'float32'));
    const nativeAttrs = { inFeatures, outFeatures, values: tables().int8, scale: INT8_INV_127 };
    dequantize = () => {
      const native = nativeInt8Dequantize({ codes: codeWords, rowAbsmax }, nativeAttrs);
      if (native) return native;
      const codes = decodeHalves(codeWords, halfTable('int8', SIGNED_BYTES, 8)).slice([0], [n]);
      return tf.mul(tf.mul(codes.reshape([inFeatures, outFeatures]), rowAbsmax), inv127);
    };
  }
  const bytes = held.reduce((sum, t) => sum + t.size * 4, 0);
  let disposed = false;
  let cacheEnabled = false;
  let cached: tf.Tensor2D | null = null;
  const weight = (): tf.Tensor2D => {
    if (!cacheEnabled) return dequantize();
    cached ??= tf.keep(tf.tidy(dequantize));
    return cached;
  };
  const assertLive = (): void => {
    if (disposed) throw new QuantizationError(`QuantizedConv1D(${name}) was used after dispose().`);
  };

  return {
    kind,
    inFeatures,
    outFeatures,
    apply(x: tf.Tensor2D): tf.Tensor2D {
      assertLive();
      if (x.rank !== 2 || x.shape[1] !== inFeatures) {
        throw new QuantizationError(`QuantizedConv1D(${name}).apply: x must be [n, ${inFeatures}], got [${x.shape.join(', ')}].`);
      }
      return tf.tidy(() => frozenTempLinear(x, weight(), biasT));
    },
    readWeight(): tf.Tensor2D {
      assertLive();
      return tf.tidy(() => (cached ? cached.clone() : dequantize()));
    },
    readBias(): tf.Tensor1D {
      assertLive();
      return biasT.clone();
    },
    readNf4State(): NF4State | null {
      assertLive();
      return nf4State();
    },
    setDequantizedCache(enabled: boolean): void {
      assertLive();
      cacheEnabled = enabled;
      if (!enabled && cached) {
        cached.dispose();
        cached = null;
      }
    },
    get dequantizedCacheEnabled(): boolean {
      return cacheEnabled;
    },
    weightBytes: () => bytes + (cached ? 4 * cached.size : 0),
    dispose(): void {
      if (disposed) return;
      disposed = true;
      cached?.dispose();
      cached = null;
      for (const t of held) t.dispose();
    },
  };
}
