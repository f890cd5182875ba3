// Shape logic of tfjs BatchMatMul, turned into the addon's terms: a [..., M, K] (or [..., K, M]
// with transposeA) times b [..., K, N] (or [..., N, K] with transposeB), batch dims broadcast
// like elementwise ops. Broadcasting becomes two index lists: output block i reads a's block
// aIndex[i] and b's block bIndex[i], so the addon never needs to know the batch shapes.
import * as tf from '@tensorflow/tfjs-core';

/** What the addon needs for one matmul, plus the tfjs output shape. */
export interface MatMulPlan {
  m: number;
  n: number;
  k: number;
  /** [...broadcast batch dims, m, n] */
  outShape: number[];
  /** For each output block: the a block it reads (length = product of the batch dims). */
  aIndex: Int32Array;
  /** For each output block: the b block it reads. */
  bIndex: Int32Array;
}

/** Product of the dims (1 for []). */
function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/**
 * Block index into `shape` (right-aligned against `outShape`, dims of size 1 broadcast) for every
 * flat index of `outShape`. Identity when no dim broadcasts, all zeros when `shape` has one block.
 */
function blockIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const total = sizeOf(outShape);
  const index = new Int32Array(total);
  const own = sizeOf(shape);
  if (own === 1) return index;
  if (own === total) {
    for (let i = 0; i < total; i++) index[i] = i;
    return index;
  }
  const offset = outShape.length - shape.length;
  // stride of each out dim in `shape`'s flat layout (0 where `shape` broadcasts that dim)
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d + offset] = shape[d] === 1 ? 0 : stride;
    stride *= shape[d];
  }
  for (let i = 0; i < total; i++) {
    let rest = i;
    let flat = 0;
    for (let d = outShape.length - 1; d >= 0; d--) {
      const dim = outShape[d];
      flat += (rest % dim) * strides[d];
      rest = Math.floor(rest / dim);
    }
    index[i] = flat;
  }
  return index;
}

/**
 * Plans `matMul(a, b, transposeA, transposeB)`. Returns null when the addon cannot run it (rank < 2)
 * so the caller falls back to the original kernel; throws tfjs's own error for mismatched inner dims.
 */
export function planMatMul(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): MatMulPlan | null {
  const aRank = aShape.length;
  const bRank = bShape.length;
  if (aRank < 2 || bRank < 2) return null;
  const k = transposeA ? aShape[aRank - 2] : aShape[aRank - 1];
  const kB = transposeB ? bShape[bRank - 1] : bShape[bRank - 2];
  const m = transposeA ? aShape[aRank - 1] : aShape[aRank - 2];
  const n = transposeB ? bShape[bRank - 2] : bShape[bRank - 1];
  if (k !== kB) {
    throw new Error(
      `Error in matMul: inner shapes (${k}) and (${kB}) of Tensors with shapes ${aShape} and ` +
        `${bShape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(aBatch, bBatch);
  return {
    m,
    n,
    k,
    outShape: [...batchShape, m, n],
    aIndex: blockIndex(aBatch, batchShape),
    bIndex: blockIndex(bBatch, batchShape),
  };
}

/**
 * How an epilogue operand (bias or prelu weights) of `shape` applies to an output with `outRank`
 * dims and `n` columns: 1 (one value for all) or n (one per column); null when it broadcasts some
 * other way (the caller falls back to the original kernel).
 */
export function epilogueLength(shape: readonly number[], outRank: number, n: number): 1 | number | null {
  if (shape.length > outRank) return null;
  const size = sizeOf(shape);
  if (size === 1) return 1;
  if (size === n && shape[shape.length - 1] === n) return n;
  return null;
}
