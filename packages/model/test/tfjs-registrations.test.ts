// @grpojs/model depends on @tensorflow/tfjs-core, not the @tensorflow/tfjs umbrella, and registers
// what the umbrella did on import (runtime/backend.ts): the cpu backend, tfjs-core's gradients and
// its chained tensor methods. The umbrella is not installed for this package (pnpm resolves only
// declared dependencies), so these fail if a registration is dropped; .ci/pack-check.mjs runs a
// gradient step in a fresh npm install too.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initRuntime } from '../src/index.js';

describe('tfjs registrations without the @tensorflow/tfjs umbrella', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu', accel: false, log: () => {} });
  });

  it('registers gradients for the kernels a training step uses', () => {
    const kernels = [tf.BatchMatMul, tf.Softmax, tf.Add, tf.Multiply, tf.Sum, tf.GatherV2, tf.Reshape, tf.Transpose, tf.Exp, tf.Log, tf.Tanh, tf.Sqrt];
    expect(kernels.filter((k) => tf.getGradient(k) === undefined)).toEqual([]);
  });

  it('adds the chained tensor methods', () => {
    const x = tf.tensor1d([1, 2, 3]);
    expect(typeof x.sum).toBe('function');
    expect(x.square().sum().dataSync()[0]).toBe(14);
    x.dispose();
  });

  it.each(['cpu', 'wasm'] as const)('takes a gradient and an Adam step on %s', async (backend) => {
    await initRuntime({ backend, accel: false, log: () => {} });
    const g = tf.grad((x: tf.Tensor) => x.square().sum())(tf.tensor1d([1, 2, 3])); // [3]
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
    const v = tf.variable(tf.tensor1d([1, -1]));
    tf.train.adam(0.1).minimize(() => v.square().sum() as tf.Scalar, false, [v]);
    expect(Array.from(v.dataSync()).map((n) => Number(n.toFixed(4)))).toEqual([0.9, -0.9]);
    tf.dispose([g, v]);
  });
});
