/**
 * A frozen GPT-2 Conv1D whose weight lives on the backend quantized (NF4 with optional double
 * quant, or int8 row-wise absmax) and is dequantized with whole-tensor ops inside `apply`: unpack
 * the int32-packed codes, gather the code table, multiply by the per-block (or per-row) absmax,
 * then y = x·Wᵀ + b with W in its [out, in] layout (matMul with transposeB, so no transpose is
 * materialized). Nothing here is trainable; the dequantized weight is a temporary of the caller's
 * tidy, so memory between steps stays at the packed size reported by `weightBytes()`.
 */
import * as tf from '@tensorflow/tfjs';
import type { Conv1DLayer } from '../linear.js';
import type { HostTensor } from '../safetensors.js';
import { QuantizationError } from '../adapter-errors.js';
import { signedDynamicMap } from './dynamic-map.js';
import { INT8_INV_127, quantizeInt8 } from './int8.js';
import { NF4_CODE, nf4CodeAt, quantizeNF4, type NF4Options } from './nf4.js';
import { packFields, unpackFields } from './packing.js';

/** Quantization kinds for frozen base weights. */
export type QuantKind = 'nf4' | 'int8';

/** Options of {@link createQuantizedConv1D}. */
export interface QuantizedConv1DOptions extends NF4Options {
  /** Used in error messages, e.g. `h.0.attn.c_attn`. */
  name?: string;
}

/** A quantized Conv1D; also exposes its dequantized weight (for merging LoRA adapters). */
export interface QuantizedConv1D extends Conv1DLayer {
  readonly kind: QuantKind;
  /** The dequantized weight [in, out] (float32). Runs in the caller's tidy; the caller disposes. */
  readWeight(): tf.Tensor2D;
  /** A copy of the bias [out]. The caller disposes. */
  readBias(): tf.Tensor1D;
}

/** Transposes a row-major [rows, cols] array. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/** Pads per-block values to a whole number of 256-blocks so they reshape to [nBlocks2, 256]. */
function padTo(data: ArrayLike<number>, length: number, fill: number): number[] {
  const out = Array.from(data);
  while (out.length < length) out.push(fill);
  return out;
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
  const weightOutIn = transpose(weightInOut.data, inFeatures, outFeatures);
  const n = weightOutIn.length;
  const held: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    held.push(t);
    return t;
  };
  const biasT = keep(tf.tensor1d(bias.data, 'float32'));
  let dequantize: () => tf.Tensor2D; // [out, in]

  if (kind === 'nf4') {
    const q = quantizeNF4(weightOutIn, options);
    const bs = q.blockSize;
    const nBlocks = Math.ceil(n / bs);
    const codes = new Uint8Array(nBlocks * bs).fill(7); // padding decodes to 0 and is sliced away
    for (let i = 0; i < n; i++) codes[i] = nf4CodeAt(q, i);
    const codeWords = keep(tf.tensor1d(packFields(codes, 4), 'int32'));
    const codeTable = keep(tf.tensor1d(NF4_CODE, 'float32'));
    let blockAbsmax: () => tf.Tensor2D; // [nBlocks, 1]
    if (q.doubleQuant) {
      const dq = q.doubleQuant;
      const nBlocks2 = dq.absmax2.length;
      const absmaxWords = keep(tf.tensor1d(packFields(padTo(dq.absmaxCodes, nBlocks2 * 256, 0), 8), 'int32'));
      const map = keep(tf.tensor1d(signedDynamicMap(), 'float32'));
      const absmax2 = keep(tf.tensor2d(dq.absmax2, [nBlocks2, 1], 'float32'));
      const offset = keep(tf.scalar(dq.offset, 'float32'));
      blockAbsmax = () => {
        const scaled = tf.mul(tf.gather(map, unpackFields(absmaxWords, 8, nBlocks2 * 256)).reshape([nBlocks2, 256]), absmax2);
        return tf.add(scaled.reshape([nBlocks2 * 256]).slice([0], [nBlocks]), offset).reshape([nBlocks, 1]);
      };
    } else {
      const absmax = keep(tf.tensor2d(q.absmax as Float32Array, [nBlocks, 1], 'float32'));
      blockAbsmax = () => absmax;
    }
    dequantize = () => {
      const values = tf.gather(codeTable, unpackFields(codeWords, 4, nBlocks * bs)).reshape([nBlocks, bs]);
      const w = tf.mul(values, blockAbsmax()).reshape([nBlocks * bs]);
      return (nBlocks * bs === n ? w : w.slice([0], [n])).reshape([outFeatures, inFeatures]);
    };
  } else {
    const q = quantizeInt8(weightOutIn, [outFeatures, inFeatures]);
    const shiftedCodes = Uint8Array.from(q.codes, (c) => c + 128);
    const codeWords = keep(tf.tensor1d(packFields(shiftedCodes, 8), 'int32'));
    const rowAbsmax = keep(tf.tensor2d(q.rowAbsmax, [outFeatures, 1], 'float32'));
    const inv127 = keep(tf.scalar(INT8_INV_127, 'float32'));
    dequantize = () => {
      const codes = tf.sub(unpackFields(codeWords, 8, n), tf.scalar(128, 'int32')).toFloat().reshape([outFeatures, inFeatures]);
      return tf.mul(tf.mul(codes, rowAbsmax), inv127);
    };
  }
  const bytes = held.reduce((sum, t) => sum + t.size * 4, 0);
  let disposed = false;
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
      return tf.tidy(() => tf.add(tf.matMul(x, dequantize(), false, true), biasT));
    },
    readWeight(): tf.Tensor2D {
      assertLive();
      return tf.tidy(() => dequantize().transpose());
    },
    readBias(): tf.Tensor1D {
      assertLive();
      return biasT.clone();
    },
    weightBytes: () => bytes,
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const t of held) t.dispose();
    },
  };
}
