/**
 * A preallocated key/value cache for incremental decoding.
 *
 * Each layer holds keys and values [batch, heads, maxLen, headDim] allocated once. A step writes
 * its new positions with one `tensorScatterUpdate` per tensor (the old buffer is freed), so the
 * cache never grows by concatenation and every step attends over the same fixed-size buffer;
 * positions not yet written are masked out by the attention bias (see attention.ts).
 */
import * as tf from '@tensorflow/tfjs';

/** Thrown when a step would write past the cache's capacity. */
export class KVCacheError extends Error {
  override name = 'KVCacheError';
}

export class KVCache {
  readonly batch: number;
  readonly heads: number;
  readonly headDim: number;
  readonly maxLen: number;
  /** Positions written so far (the "past" length). */
  length = 0;
  private readonly keys: tf.Tensor4D[] = [];
  private readonly values: tf.Tensor4D[] = [];
  /** [batch·heads·T, 3] scatter indices of the step in progress. */
  private stepIndices: tf.Tensor2D | null = null;
  private stepLength = 0;

  constructor(layers: number, batch: number, heads: number, headDim: number, maxLen: number) {
    this.batch = batch;
    this.heads = heads;
    this.headDim = headDim;
    this.maxLen = maxLen;
    for (let i = 0; i < layers; i++) {
      this.keys.push(tf.zeros([batch, heads, maxLen, headDim]));
      this.values.push(tf.zeros([batch, heads, maxLen, headDim]));
    }
  }

  /** Starts a step that appends `T` positions; call {@link endStep} after the last layer. */
  beginStep(T: number): void {
    if (this.length + T > this.maxLen) {
      throw new KVCacheError(
        `KVCache: writing ${T} positions after ${this.length} exceeds maxLen ${this.maxLen}; allocate a larger cache.`,
      );
    }
    const idx = new Int32Array(this.batch * this.heads * T * 3);
    let k = 0;
    for (let b = 0; b < this.batch; b++) {
      for (let h = 0; h < this.heads; h++) {
        for (let t = 0; t < T; t++) {
          idx[k++] = b;
          idx[k++] = h;
          idx[k++] = this.length + t;
        }
      }
    }
    this.stepIndices = tf.tensor2d(idx, [this.batch * this.heads * T, 3], 'int32');
    this.stepLength = T;
  }

  /**
   * Writes k, v [batch, heads, T, headDim] of `layer` at the step's positions and returns the full
   * buffers [batch, heads, maxLen, headDim] (owned by the cache; do not dispose).
   */
  update(layer: number, k: tf.Tensor4D, v: tf.Tensor4D): { keys: tf.Tensor4D; values: tf.Tensor4D } {
    if (this.stepIndices === null) throw new KVCacheError('KVCache.update called outside beginStep/endStep.');
    const rows = this.batch * this.heads * this.stepLength;
    const write = (buffers: tf.Tensor4D[], update: tf.Tensor4D): tf.Tensor4D => {
      const old = buffers[layer];
      const next = tf.tidy(() =>
        tf.tensorScatterUpdate(old, this.stepIndices as tf.Tensor2D, tf.reshape(update, [rows, this.headDim])),
      ) as tf.Tensor4D;
      tf.keep(next);
      old.dispose();
      buffers[layer] = next;
      return next;
    };
    return { keys: write(this.keys, k), values: write(this.values, v) };
  }

  /** Ends the step: the written positions become part of the past. */
  endStep(): void {
    this.stepIndices?.dispose();
    this.stepIndices = null;
    this.length += this.stepLength;
    this.stepLength = 0;
  }

  /** Frees every buffer. */
  dispose(): void {
    this.stepIndices?.dispose();
    for (const t of [...this.keys, ...this.values]) t.dispose();
    this.keys.length = 0;
    this.values.length = 0;
  }
}
