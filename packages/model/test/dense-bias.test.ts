/**
 * The Conv1D bias in the matmul (dense.ts): frozenLinear and a trainable DenseConv1D (tfjs' fused
 * matMul, whose gradient covers x, weight and bias) against the plain matMul + Add formula, values
 * and gradients, with whatever matmul is active (BLAS with @grpojs/accel, tfjs' with GRPOJS_ACCEL=0).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { DenseConv1D, frozenLinear } from '../src/ops/dense.js';
import { maxAbsDiff } from './fixture-utils.js';

beforeAll(async () => {
  await initBackend();
});

describe('Conv1D bias in the matmul', () => {
  const [n, inF, outF] = [7, 13, 11];
  let [x, w, b, dy] = [] as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];
  beforeAll(() => {
    x = tf.randomNormal([n, inF], 0, 1, 'float32', 1);
    w = tf.randomNormal([inF, outF], 0, 1, 'float32', 2);
    b = tf.randomNormal([outF], 0, 1, 'float32', 3);
    dy = tf.randomNormal([n, outF], 0, 1, 'float32', 4);
  });
  const formula = (a: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.add(tf.matMul(a as tf.Tensor2D, wt as tf.Tensor2D), bt), dy));

  it('frozenLinear: x·W + b and its input gradient equal the formula within 1e-5; no leaks', () => {
    const before = tf.memory().numTensors;
    const y = frozenLinear(x, w, b);
    const gx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(frozenLinear(a as tf.Tensor2D, w, b), dy)))(x);
    expect(tf.memory().numTensors).toBe(before + 2);
    const yRef = tf.add(tf.matMul(x, w), b);
    const [gxRef] = tf.grads(formula)([x, w, b]);
    expect(maxAbsDiff(y.dataSync(), yRef.dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(gx.dataSync(), gxRef.dataSync())).toBeLessThan(1e-5);
    tf.dispose([y, gx, yRef, gxRef]);
  });

  it('trainable DenseConv1D: values and the gradients of x, weight and bias equal the formula within 1e-5', () => {
    const layer = new DenseConv1D(w, b, { trainable: true, name: 'h.0.mlp.c_fc' });
    const [vw, vb] = layer.variables();
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }), dy)), [vw, vb]);
    const gx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a as tf.Tensor2D, { training: true }), dy)))(x);
    const want = tf.grads(formula)([x, w, b]);
    expect(Math.abs(value.dataSync()[0] - formula(x, w, b).dataSync()[0])).toBeLessThan(1e-4);
    expect(maxAbsDiff(gx.dataSync(), want[0].dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(grads[vw.name].dataSync(), want[1].dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(grads[vb.name].dataSync(), want[2].dataSync())).toBeLessThan(1e-5);
    layer.dispose();
  });
});
