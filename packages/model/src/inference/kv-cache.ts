/**
 * A key/value cache for incremental decoding.
 *
 * Each layer holds keys and values [batch, heads, capacity, headDim]. A step writes its new
 * positions in place: on the wasm and cpu backends the rows are copied straight into the cache
 * tensor's own memory (the wasm heap at the tensor's offset, or the cpu backend's values array);
 * other backends use one `tensorScatterUpdate` per tensor. Attention runs over the whole buffer, so
 * the capacity follows the written length rounded up to {@link KV_CACHE_BLOCK} positions (a few
 * distinct shapes, and no attention over hundreds of unwritten slots); growing copies each buffer
 * once per block. Positions not yet written are masked out by the attention bias (attention.ts).
 *
 * Invariant for the in-place writes: the cache exclusively owns its buffers. The tensors returned by
 * {@link KVCache.update} may be read by the kernels of the current step, but no caller may keep
 * them (or a reshape of them, which shares their memory) past it: the next step overwrites their
 * contents. `update` checks the backend's reference count and falls back to the copying path when
 * a buffer's memory is shared.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Thrown when a step would write past the cache's capacity. */
export class KVCacheError extends Error {
  override name = 'KVCacheError';
}

/** The buffers grow by this many positions (and the attention shapes change only this often). */
export const KV_CACHE_BLOCK = 32;

/** How a step's rows get into the buffers. */
export type KVCacheWrites = 'in-place' | 'scatter';

/** What the in-place path needs from the wasm and cpu backends (not part of tfjs's public types). */
interface HostMemoryBackend {
  refCount(dataId: object): number;
  /** wasm: a Float32Array view of the tensor's heap memory. */
  typedArrayFromHeap?(t: tf.Tensor): Float32Array;
  /** cpu: its storage, with the values array of each tensor. */
  data?: { get(dataId: object): { values?: unknown } | undefined };
}

export class KVCache {
  readonly batch: number;
  readonly heads: number;
  readonly headDim: number;
  readonly maxLen: number;
  /** Positions written so far (the "past" length). */
  length = 0;
  private cap = 0;
  private readonly layers: number;
  private readonly writes: KVCacheWrites;
  private readonly keys: tf.Tensor4D[] = [];
  private readonly values: tf.Tensor4D[] = [];
  /** [batch·heads·T, 3] scatter indices of the step in progress (scatter path only). */
  private stepIndices: tf.Tensor2D | null = null;
  private stepLength = 0;
  private inStep = false;

  /**
   * `writes`: 'in-place' (default) writes into the buffers' memory on the wasm and cpu backends and
   * scatters elsewhere; 'scatter' always uses `tensorScatterUpdate` (tests compare the two).
   */
  constructor(layers: number, batch: number, heads: number, headDim: number, maxLen: number, writes: KVCacheWrites = 'in-place') {
    this.layers = layers;
    this.batch = batch;
    this.heads = heads;
    this.headDim = headDim;
    this.maxLen = maxLen;
    this.writes = writes;
  }

  /**
   * A new cache whose row b holds row `rowIndex[b]` of `source` (same layers, heads, capacity,
   * length and write mode): the prefill of the distinct prompts of a batch, expanded to every row.
   * The buffers are fresh tensors the new cache alone owns (its in-place writes need that), so
   * `source` stays valid and the caller disposes both. Copies one [heads, capacity, headDim] block
   * per row: straight between the buffers' memory on the wasm and cpu backends with 'in-place'
   * writes, a `tf.gather` along the batch axis otherwise.
   */
  static fromRows(source: KVCache, rowIndex: readonly number[]): KVCache {
    if (source.inStep) throw new KVCacheError('KVCache.fromRows: the source cache is inside a step; call endStep first.');
    if (rowIndex.length === 0) throw new KVCacheError('KVCache.fromRows: rowIndex is empty; the new cache needs at least one row.');
    rowIndex.forEach((u, b) => {
      if (!(Number.isInteger(u) && u >= 0 && u < source.batch)) {
        throw new KVCacheError(`KVCache.fromRows: rowIndex[${b}] = ${u} is not a row of the source cache (batch ${source.batch}).`);
      }
    });
    const cache = new KVCache(source.layers, rowIndex.length, source.heads, source.headDim, source.maxLen, source.writes);
    cache.length = source.length;
    cache.cap = source.cap;
    for (const [from, to] of [
      [source.keys, cache.keys],
      [source.values, cache.values],
    ]) {
      for (const buffer of from) to.push(tf.keep(gatherBatchRows(buffer, rowIndex, source.writes)));
    }
    return cache;
  }

  /** Key slots the buffers hold now: the S of the attention bias [batch, 1, T, S]. */
  get capacity(): number {
    return this.cap;
  }

  /**
   * Starts a step that appends `T` positions, growing the buffers if needed; call {@link endStep}
   * after the last layer.
   */
  beginStep(T: number): void {
    if (this.length + T > this.maxLen) {
      throw new KVCacheError(
        `KVCache: writing ${T} positions after ${this.length} exceeds maxLen ${this.maxLen}; allocate a larger cache.`,
      );
    }
    this.grow(this.length + T);
    this.stepLength = T;
    this.inStep = true;
  }

  /**
   * Writes k, v [batch, heads, T, headDim] of `layer` at the step's positions and returns the full
   * buffers [batch, heads, capacity, headDim] (owned by the cache: do not dispose or keep them).
   */
  update(layer: number, k: tf.Tensor4D, v: tf.Tensor4D): { keys: tf.Tensor4D; values: tf.Tensor4D } {
    if (!this.inStep) throw new KVCacheError('KVCache.update called outside beginStep/endStep.');
    this.write(this.keys, layer, k);
    this.write(this.values, layer, v);
    return { keys: this.keys[layer], values: this.values[layer] };
  }

  /**
   * Layer `layer`'s key and value buffers [batch, heads, capacity, headDim]; the first `length`
   * positions are written. Owned by the cache: read them, never dispose or keep them.
   */
  buffers(layer: number): { keys: tf.Tensor4D; values: tf.Tensor4D } {
    if (!(layer >= 0 && layer < this.keys.length)) {
      throw new KVCacheError(`KVCache.buffers: layer ${layer} is not in [0, ${this.keys.length}) (nothing written yet, or disposed).`);
    }
    return { keys: this.keys[layer], values: this.values[layer] };
  }

  /** Ends the step: the written positions become part of the past. */
  endStep(): void {
    this.stepIndices?.dispose();
    this.stepIndices = null;
    this.length += this.stepLength;
    this.stepLength = 0;
    this.inStep = false;
  }

  /** Frees every buffer. */
  dispose(): void {
    this.stepIndices?.dispose();
    this.stepIndices = null;
    for (const t of [...this.keys, ...this.values]) t.dispose();
    this.keys.length = 0;
    this.values.length = 0;
    this.cap = 0;
  }

  /** Makes the buffers hold at least `needed` positions (a multiple of the block, at most maxLen). */
  private grow(needed: number): void {
    if (needed <= this.cap) return;
    const next = Math.min(this.maxLen, Math.ceil(needed / KV_CACHE_BLOCK) * KV_CACHE_BLOCK);
    const { batch: B, heads: H, headDim: D } = this;
    for (const buffers of [this.keys, this.values]) {
      for (let l = 0; l < this.layers; l++) {
        const old = buffers[l];
        buffers[l] = tf.keep(
          old === undefined
            ? tf.zeros([B, H, next, D])
            : (tf.tidy(() => tf.pad(old, [[0, 0], [0, 0], [0, next - this.cap], [0, 0]])) as tf.Tensor4D),
        );
        old?.dispose();
      }
    }
    this.cap = next;
  }

  private write(buffers: tf.Tensor4D[], layer: number, update: tf.Tensor4D): void {
    const src = this.writes === 'in-place' ? (update.dataSync() as Float32Array) : null;
    const target = src === null ? null : hostMemory(buffers[layer]); // after the read: no heap growth in between
    if (src !== null && target !== null) {
      // [B·H, T, D] rows of the update go to [B·H, length..length+T, D] of the buffer.
      const { batch: B, heads: H, headDim: D, cap, length: past, stepLength: T } = this;
      const run = T * D;
      for (let bh = 0; bh < B * H; bh++) target.set(src.subarray(bh * run, (bh + 1) * run), (bh * cap + past) * D);
      return;
    }
    const rows = this.batch * this.heads * this.stepLength;
    const old = buffers[layer];
    buffers[layer] = tf.keep(
      tf.tidy(() => tf.tensorScatterUpdate(old, this.scatterIndices(), tf.reshape(update, [rows, this.headDim]))) as tf.Tensor4D,
    );
    old.dispose();
  }

  /** [batch·heads·T, 3] (b, h, position) of every row the step writes, built once per step. */
  private scatterIndices(): tf.Tensor2D {
    if (this.stepIndices !== null) return this.stepIndices;
    const T = this.stepLength;
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
    this.stepIndices = tf.keep(tf.tensor2d(idx, [this.batch * this.heads * T, 3], 'int32'));
    return this.stepIndices;
  }
}

/** buffer [batch, H, S, D] → [rowIndex.length, H, S, D] with row b = buffer[rowIndex[b]]; a fresh tensor. */
function gatherBatchRows(buffer: tf.Tensor4D, rowIndex: readonly number[], writes: KVCacheWrites): tf.Tensor4D {
  const [, H, S, D] = buffer.shape;
  if (writes === 'in-place' && hostMemory(buffer) !== null) {
    const out = tf.zeros([rowIndex.length, H, S, D]) as tf.Tensor4D;
    const src = hostMemory(buffer); // both views after the allocation (which may move the wasm heap)
    const dst = hostMemory(out);
    if (src !== null && dst !== null) {
      const run = H * S * D;
      rowIndex.forEach((u, b) => dst.set(src.subarray(u * run, (u + 1) * run), b * run));
      return out;
    }
    out.dispose();
  }
  return tf.tidy(() => tf.gather(buffer, tf.tensor1d(Int32Array.from(rowIndex), 'int32'), 0));
}

/**
 * The memory of `t` as a writable Float32Array on the wasm and cpu backends, when `t` alone owns it
 * (reference count 1: no reshape or clone shares it); null otherwise (another backend, or shared).
 * A view, valid until the next backend allocation (which may move the wasm heap): use it at once.
 */
export function hostMemory(t: tf.Tensor): Float32Array | null {
  const name = tf.getBackend();
  if (name !== 'wasm' && name !== 'cpu') return null;
  const backend = tf.backend() as unknown as HostMemoryBackend;
  if (backend.refCount(t.dataId) !== 1) return null;
  const view = name === 'wasm' ? backend.typedArrayFromHeap?.(t) : backend.data?.get(t.dataId)?.values;
  return view instanceof Float32Array && view.length === t.size ? view : null;
}
