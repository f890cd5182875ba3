/**
 * Scaled dot-product attention with grouped key/value heads (GQA; MQA when there is one, plain
 * multi-head when there are as many as query heads). Query head h reads key/value head
 * ⌊h / group⌋, as transformers' repeat_kv lays them out, so the queries of one group are reshaped
 * into a single [group·T] row block per key/value head and the keys are never copied.
 */
import * as tf from '@tensorflow/tfjs-core';
import { nativeMaskedSoftmax } from './native-attention.js';

/**
 * q [B, H, T, D], k and v [B, KV, S, D] (H a multiple of KV), bias [B, 1, T, S] additive
 * (attention.ts attentionBias) → [B, H, T, D] = softmax(q·kᵀ·scale + bias)·v. Runs in the caller's tidy.
 */
export function groupedAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, bias: tf.Tensor4D, scale: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, H, T, D] = q.shape;
    const [, KV, S] = k.shape;
    const G = H / KV;
    const grouped = G === 1 ? q : tf.reshape(q, [B, KV, G * T, D]);
    const raw: tf.Tensor4D = tf.reshape(tf.matMul(grouped, k, false, true), [B, H, T, S]); // [B, H, T, S]
    // softmax(raw · scale + bias): one native pass each way with @grpojs/accel (native-attention.ts)
    const probs = nativeMaskedSoftmax(raw, bias, scale) ?? tf.softmax(tf.add(tf.mul(raw, scale), bias));
    const y = tf.matMul(G === 1 ? probs : tf.reshape(probs, [B, KV, G * T, S]), v); // [B, KV, G·T, D]
    return tf.reshape(y, [B, H, T, D]);
  });
}
