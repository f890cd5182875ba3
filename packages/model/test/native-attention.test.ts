/**
 * Attention through @grpojs/accel's native kernels against the tfjs ops they replace: the softmax
 * (softmax(scores · scale + bias), with a real causal + padding bias from attentionBias) and the
 * q|k|v head split: values, gradients, no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { attentionBias } from '../src/ops/attention.js';
import { initBackend } from '../src/runtime/runtime.js';
import { nativeMaskedSoftmax, nativeSplitHeads } from '../src/ops/native-attention.js';
import { maxAbsDiff } from './fixture-utils.js';
import { nativeOff } from './native-helpers.js';

const skip = nativeOff('GRPOJS_ACCEL_SOFTMAX');
const skipHeads = nativeOff('GRPOJS_ACCEL_HEADS');

beforeAll(async () => {
  await initBackend();
});

describe.skipIf(skip)('attention softmax with the native kernels', () => {
  it('probabilities and the gradient w.r.t. the scores match the tfjs ops within 1e-6 (left padding, past positions); no leaks', () => {
    const [B, H, T, past] = [2, 3, 9, 2];
    const S = past + T;
    const mask = [Array(S).fill(1), [0, 0, 0, ...Array(S - 3).fill(1)]]; // row 1 left-padded
    const bias = attentionBias(mask, past, T, S);
    const scores = tf.randomNormal([B, H, T, S], 0, 4, 'float32', 1) as tf.Tensor4D;
    const dy = tf.randomNormal([B, H, T, S], 0, 1, 'float32', 2);
    const scale = 1 / 8;
    const formula = (s: tf.Tensor): tf.Tensor => tf.softmax(tf.add(tf.mul(s, scale), bias));
    const native = (s: tf.Tensor): tf.Tensor => nativeMaskedSoftmax(s as tf.Tensor4D, bias, scale)!;
    const before = tf.memory().numTensors;
    const p = native(scores);
    const g = tf.grad((s: tf.Tensor) => tf.sum(tf.mul(native(s), dy)))(scores);
    expect(tf.memory().numTensors).toBe(before + 2);
    const pRef = formula(scores);
    const gRef = tf.grad((s: tf.Tensor) => tf.sum(tf.mul(formula(s), dy)))(scores);
    expect(maxAbsDiff(p.dataSync(), pRef.dataSync())).toBeLessThan(1e-6);
    expect(maxAbsDiff(g.dataSync(), gRef.dataSync())).toBeLessThan(1e-6);
    tf.dispose([bias, scores, dy, p, g, pRef, gRef]);
  });
});

describe.skipIf(skipHeads)('q|k|v head split with the native kernels', () => {
  it('q, k, v equal SplitV + Transposes; the gradient w.r.t. qkv equals the tfjs one, also when only q is used; no leaks', () => {
    const [B, T, H, D] = [2, 5, 3, 4];
    const qkv = tf.randomNormal([B * T, 3 * H * D], 0, 1, 'float32', 3) as tf.Tensor2D;
    const w = tf.randomNormal([B, H, T, D], 0, 1, 'float32', 4);
    const formula = (a: tf.Tensor): tf.Tensor4D[] => tf.split(a, 3, 1).map((t) => tf.transpose(tf.reshape(t, [B, T, H, D]), [0, 2, 1, 3]));
    const native = (a: tf.Tensor): tf.Tensor4D[] => nativeSplitHeads(a as tf.Tensor2D, B, H)!;
    // all three used (weights differ per output), then only q (k and v get a null dy)
    const lossAll = (split: (a: tf.Tensor) => tf.Tensor4D[]) => (a: tf.Tensor) => {
      const [q, k, v] = split(a);
      return tf.sum(tf.add(tf.mul(q, w), tf.add(tf.mul(k, tf.square(w)), tf.mul(v, 3))));
    };
    const lossQ = (split: (a: tf.Tensor) => tf.Tensor4D[]) => (a: tf.Tensor) => tf.sum(tf.mul(split(a)[0], w));
    const before = tf.memory().numTensors;
    const outs = native(qkv);
    const gAll = tf.grad(lossAll(native))(qkv);
    const gQ = tf.grad(lossQ(native))(qkv);
    expect(tf.memory().numTensors).toBe(before + 5);
    const want = formula(qkv);
    outs.forEach((o, i) => expect(maxAbsDiff(o.dataSync(), want[i].dataSync())).toBe(0));
    expect(maxAbsDiff(gAll.dataSync(), tf.grad(lossAll(formula))(qkv).dataSync())).toBeLessThan(1e-6);
    expect(maxAbsDiff(gQ.dataSync(), tf.grad(lossQ(formula))(qkv).dataSync())).toBeLessThan(1e-6);
    tf.dispose([qkv, w, gAll, gQ, ...outs, ...want]);
  });
});
