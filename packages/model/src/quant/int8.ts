/**
 * Row-wise int8 absmax quantization of a frozen weight, as bitsandbytes' LLM.int8 weight
 * quantization (`int8_vectorwise_quant` on the [out, in] weight) with the outlier threshold off
 * (no mixed-precision decomposition):
 *
 *   absmax[r] = max_c |W[r, c]|                      (float32, one per output row)
 *   q[r, c]   = roundHalfEven(W[r, c] · float32(127 / absmax[r]))   ∈ [−127, 127]
 *   W′[r, c]  = (q[r, c] · absmax[r]) · float32(1/127)   (two float32 multiplies, as
 *                                                       `int8_vectorwise_dequant`)
 *
 * An all-zero row gets absmax 0 and q = 0 (the GPU would compute 0·∞ = NaN).
 */
import { QuantizationError } from '../adapters/errors.js';

/** float32(1/127), the constant bitsandbytes multiplies by when dequantizing. */
export const INT8_INV_127 = Math.fround(7.874015718698502e-3);

/** An int8-quantized [rows, cols] (= [out, in]) weight. */
export interface Int8Weights {
  rows: number;
  cols: number;
  /** [rows·cols] row-major codes in [−127, 127]. */
  codes: Int8Array;
  /** [rows] float32 absmax per row. */
  rowAbsmax: Float32Array;
}

/** Round half to even (torch.round) of a float32 value. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Quantizes a weight given flattened row-major in its [out, in] layout; `shape` is [out, in]. */
export function quantizeInt8(weightOutIn: Float32Array, shape: readonly [number, number]): Int8Weights {
  const [rows, cols] = shape;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0 || rows * cols !== weightOutIn.length) {
    throw new QuantizationError(
      `quantizeInt8: shape [${shape.join(', ')}] does not match weightOutIn.length ${weightOutIn.length}; pass [out, in] of the transposed Conv1D weight.`,
    );
  }
  const codes = new Int8Array(rows * cols);
  const rowAbsmax = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < cols; c++) {
      const v = weightOutIn[r * cols + c];
      if (!Number.isFinite(v)) {
        throw new QuantizationError(`quantizeInt8: weightOutIn[${r * cols + c}] is ${v}; weights must be finite.`);
      }
      m = Math.max(m, Math.abs(v));
    }
    rowAbsmax[r] = m;
    if (m === 0) continue;
    const scale = Math.fround(127 / m);
    for (let c = 0; c < cols; c++) codes[r * cols + c] = roundHalfEven(Math.fround(weightOutIn[r * cols + c] * scale));
  }
  return { rows, cols, codes, rowAbsmax };
}

/** Dequantizes to float32, flattened [out, in]. */
export function dequantizeInt8(q: Int8Weights): Float32Array {
  const out = new Float32Array(q.rows * q.cols);
  for (let r = 0; r < q.rows; r++) {
    for (let c = 0; c < q.cols; c++) {
      out[r * q.cols + c] = Math.fround(q.codes[r * q.cols + c] * q.rowAbsmax[r]) * INT8_INV_127;
    }
  }
  return out;
}

/** Bytes bitsandbytes holds for `q`: one byte per weight + a float32 per row. */
export function int8StorageBytes(q: Int8Weights): number {
  return q.codes.length + 4 * q.rowAbsmax.length;
}
