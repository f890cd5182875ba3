/**
 * GPT-2 causal self-attention: one fused c_attn projection for q|k|v, multi-head scaled dot
 * product with a causal + padding bias, and the c_proj output projection. With a KV cache the new
 * keys/values are written into the cache's buffers (sized to the written length rounded up to a
 * block, kv-cache.ts) and attention runs over all of them, the bias hiding positions that are in
 * the future, padding, or not yet written.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Conv1DLayer } from './linear.js';
import type { KVCache } from '../inference/kv-cache.js';
import { nativeMaskedSoftmax, nativeSplitHeads } from './native-attention.js';

/** Large negative added to masked scores; exp underflows to 0 and fully masked rows stay finite. */
const MASKED = -1e9;

/**
 * The additive attention bias [batch, 1, T, S] for T queries at positions past..past+T−1 over S
 * key slots: 0 where key j ≤ past+i (causal), j < past+T (written) and mask[b][j] = 1, else −1e9.
 * mask: per row, the attention mask over the past+T positions (1 = real token, 0 = padding).
 */
export function attentionBias(mask: ArrayLike<number>[], past: number, T: number, S: number): tf.Tensor4D {
  const B = mask.length;
  const bias = new Float32Array(B * T * S);
  for (let b = 0; b < B; b++) {
    const row = mask[b];
    for (let i = 0; i < T; i++) {
      const base = (b * T + i) * S;
      for (let j = 0; j < S; j++) {
        const visible = j <= past + i && j < row.length && row[j] !== 0;
        bias[base + j] = visible ? 0 : MASKED;
      }
    }
  }
  return tf.tensor4d(bias, [B, 1, T, S]);
}

/** The projections of one attention module. */
export interface AttentionWeights {
  cAttn: Conv1DLayer;
  cProj: Conv1DLayer;
}

/** Shape and scaling of an attention call. */
export interface AttentionShape {
  batch: number;
  T: number;
  heads: number;
  /** Multiplies the scores: 1/√headDim (and 1/(layer+1) when the config asks). */
  scale: number;
}

/**
 * x [batch·T, C] → [batch·T, C]. `bias` [batch, 1, T, S] from {@link attentionBias}; with a
 * cache, S = cache.capacity and the step's keys/values are written at layer `layer`.
 */
export function causalSelfAttention(
  x: tf.Tensor2D,
  w: AttentionWeights,
  shape: AttentionShape,
  bias: tf.Tensor4D,
  options: { training: boolean; cache?: KVCache; layer: number },
): tf.Tensor2D {
  return tf.tidy(() => {
    const { batch: B, T, heads: H, scale } = shape;
    const C = x.shape[1];
    const D = C / H;
    const qkv = w.cAttn.apply(x, options); // [B·T, 3C]
    // Split, then [B, T, H, D] → [B, H, T, D] each: on wasm three 4-D transposes are ~9× faster
    // than one 5-D transpose of the packed [B, T, 3, H, D]. With one query position (decoding) both
    // layouts are the same bytes, so a reshape (no kernel, no copy) does.
    const heads = (t: tf.Tensor): tf.Tensor4D =>
      T === 1 ? tf.reshape(t, [B, H, 1, D]) : tf.transpose(tf.reshape(t, [B, T, H, D]), [0, 2, 1, 3]);
    // With @grpojs/accel: one native pass (native-attention.ts).
    const [q, kNew, vNew] = (T === 1 ? null : nativeSplitHeads(qkv as tf.Tensor2D, B, H)) ?? tf.split(qkv, 3, 1).map(heads);
    let k = kNew;
    let v = vNew;
    if (options.cache) ({ keys: k, values: v } = options.cache.update(options.layer, kNew, vNew)); // [B, H, S, D]
    const raw: tf.Tensor4D = tf.matMul(q, k, false, true); // [B, H, T, S]
    // softmax(raw · scale + bias): one native pass each way with @grpojs/accel (native-attention.ts)
    const probs = nativeMaskedSoftmax(raw, bias, scale) ?? tf.softmax(tf.add(tf.mul(raw, scale), bias));
    const y = tf.matMul(probs, v); // [B, H, T, D]
    const merged = T === 1 ? tf.reshape(y, [B, C]) : tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B * T, C]);
    return w.cProj.apply(merged as tf.Tensor2D, options);
  });
}
