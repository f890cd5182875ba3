/**
 * gelu_new through @grpojs/accel's native kernels against the tfjs formula (the same activation()
 * with the kernels unregistered), and against float64: values, gradients, no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { activation } from '../src/ops/layers.js';
import { maxAbsDiff } from './fixture-utils.js';
import { nativeOff, withoutKernels } from './native-helpers.js';

const KERNELS = ['GrpojsGeluNew', 'GrpojsGeluNewGrad'];
const skip = nativeOff('GRPOJS_ACCEL_GELU');

beforeAll(async () => {
  await initBackend();
});


const c = Math.sqrt(2 / Math.PI);
const gelu64 = (x: number): number => 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x ** 3)));
const dGelu64 = (x: number): number => {
  const t = Math.tanh(c * (x + 0.044715 * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
};

describe.skipIf(skip)('gelu_new with the native kernels', () => {
  it('values within 2e-7 relative and gradients within 2e-6 of float64, both within 1e-5 of the tfjs formula; no leaks', () => {
    expect(KERNELS.every((k) => tf.getKernel(k, tf.getBackend()) !== undefined)).toBe(true);
    // [-12, 12) plus the extremes: both tails of tanh and the region around 0
    const values = Array.from({ length: 4093 }, (_, i) => -12 + (24 * i) / 4093).concat([-60, 60, 0, 1e-8]);
    const x = tf.tensor2d(values, [1, values.length]);
    const dy = tf.tensor2d(values.map((_, i) => Math.cos(i)), [1, values.length]);
    const before = tf.memory().numTensors;
    const forward = (): tf.Tensor => activation(x, 'gelu_new');
    const backward = (): tf.Tensor => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(activation(a as tf.Tensor2D, 'gelu_new'), dy)))(x);
    const [y, g] = [forward(), backward()];
    expect(tf.memory().numTensors).toBe(before + 2);
    const [yRef, gRef] = withoutKernels(KERNELS, () => [forward(), backward()]);
    const dyHost = dy.dataSync();
    // |y| reaches 60 here: 1.2e-5 absolute is 2e-7 relative there
    expect(maxAbsDiff(y.dataSync(), values.map(gelu64))).toBeLessThan(1.2e-5);
    expect(maxAbsDiff(g.dataSync(), values.map((v, i) => dGelu64(v) * dyHost[i]))).toBeLessThan(2e-6);
    expect(maxAbsDiff(y.dataSync(), yRef.dataSync())).toBeLessThan(1.2e-5);
    expect(maxAbsDiff(g.dataSync(), gRef.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, dy, y, g, yRef, gRef]);
  });
});
