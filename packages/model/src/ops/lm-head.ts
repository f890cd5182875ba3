/**
 * The (tied) LM head: the [vocab, C] matrix that is both the token embedding table and the output
 * projection, stored once in the orientation the backend multiplies fastest.
 *
 * On wasm, XNNPACK caches the packed right operand of a matmul per tensor, so h·M is fast for a
 * long-lived M but h·Mᵀ (`transposeB`) re-packs M — 38.6M values for GPT-2 — on every call. There
 * the head is kept as Mᵀ [C, vocab]: logits are h·Mᵀ directly, products with M are computed as
 * (Mᵀ·dᵀ)ᵀ (only the small dᵀ is packed), and embedding rows are columns of Mᵀ. Other backends keep
 * M [vocab, C] and use `transposeB`, which is free there. With @grpojs/accel's BLAS matmul on wasm
 * the transpose flags are free too, so d·M is one `transposeB` product of Mᵀ, and the embedding
 * lookup runs in its native column gather (`gatherColumns`) instead of GatherV2 + transpose.
 */
import * as tf from '@tensorflow/tfjs-core';
import { blasMatMulActive } from '../runtime/accel.js';
import { accelKernelsReady, runAccelKernel } from '../runtime/accel-kernels.js';
import type { HostTensor } from '../io/safetensors.js';

/**
 * Rows `ids` [n] of a frozen float32 table [R, C] → [n, C] (an embedding lookup): @grpojs/accel's
 * native row gather when registered (one memcpy per row; the wasm GatherV2 goes element by element,
 * ~20 ms for 512 rows of 768), tf.gather otherwise. No gradient flows to the table. The caller owns
 * the result.
 */
export function gatherRows(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  if (table.dtype === 'float32' && ids.dtype === 'int32' && accelKernelsReady('gatherRows')) {
    return runAccelKernel('gatherRows', { x: table, indices: ids }) as tf.Tensor2D;
  }
  return tf.gather(table, ids);
}

export class LMHead {
  readonly vocabSize: number;
  readonly nEmbd: number;
  /** M [vocab, C] (non-wasm backends). */
  private readonly rows: tf.Tensor2D | null;
  /** Mᵀ [C, vocab] (wasm). */
  private readonly cols: tf.Tensor2D | null;

  /** Copies `weight` [vocab, C] to the backend; `transposed` defaults to "backend is wasm". */
  constructor(weight: HostTensor, transposed = tf.getBackend() === 'wasm') {
    [this.vocabSize, this.nEmbd] = weight.shape;
    const m = tf.tensor2d(weight.data, [this.vocabSize, this.nEmbd]);
    if (transposed) {
      this.cols = tf.transpose(m);
      this.rows = null;
      m.dispose();
    } else {
      this.rows = m;
      this.cols = null;
    }
  }

  /** h [n, C] → logits h·Mᵀ [n, vocab]. Differentiable w.r.t. h (M is frozen). */
  logits(h: tf.Tensor2D): tf.Tensor2D {
    if (this.rows) return tf.matMul(h, this.rows, false, true);
    const cols = this.cols as tf.Tensor2D;
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.matMul(args[0] as tf.Tensor2D, cols),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => this.timesWeight(dy as tf.Tensor2D),
    }));
    return op(h) as tf.Tensor2D;
  }

  /** d [n, vocab] → d·M [n, C] (e.g. the head's input gradient). Not differentiable. */
  timesWeight(d: tf.Tensor2D): tf.Tensor2D {
    if (this.rows) return tf.matMul(d, this.rows);
    if (blasMatMulActive(tf.getBackend())) return tf.matMul(d, this.cols as tf.Tensor2D, false, true); // d · (Mᵀ)ᵀ
    return tf.tidy(() => tf.transpose(tf.matMul(this.cols as tf.Tensor2D, tf.transpose(d))) as tf.Tensor2D);
  }

  /** Rows of M for token ids [n] → [n, C] (the embedding lookup). */
  lookup(ids: tf.Tensor1D): tf.Tensor2D {
    if (this.rows) return gatherRows(this.rows, ids);
    if (accelKernelsReady('gatherColumns') && ids.dtype === 'int32') {
      return runAccelKernel('gatherColumns', { x: this.cols as tf.Tensor2D, indices: ids }) as tf.Tensor2D; // [n, C]
    }
    return tf.tidy(() => tf.transpose(tf.gather(this.cols as tf.Tensor2D, ids, 1)));
  }

  /** A host copy of M [vocab, C]. */
  hostWeight(): HostTensor {
    const m = this.rows ? this.rows.clone() : tf.transpose(this.cols as tf.Tensor2D);
    const data = Float32Array.from(m.dataSync() as Float32Array);
    m.dispose();
    return { shape: [this.vocabSize, this.nEmbd], data };
  }

  /** Backend bytes held. */
  bytes(): number {
    return 4 * this.vocabSize * this.nEmbd;
  }

  dispose(): void {
    this.rows?.dispose();
    this.cols?.dispose();
  }
}
