/**
 * LayerNorm through @grpojs/accel's native kernels against float64 and against the tfjs formula
 * (the same layerNorm() with the kernels unregistered): values, the gradients w.r.t. x, gamma and
 * beta (also against central finite differences in float64), constant rows, no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { layerNorm } from '../src/ops/layers.js';
import { maxAbsDiff } from './fixture-utils.js';
import { nativeOff, withoutKernels } from './native-helpers.js';

const KERNELS = ['GrpojsLayerNorm', 'GrpojsLayerNormGrad'];
const skip = nativeOff('GRPOJS_ACCEL_LAYERNORM');

beforeAll(async () => {
  await initBackend();
});


/** float64 Σ LayerNorm(x)·dy for rows x [n, C] (the loss whose gradients are checked). */
function loss64(x: Float64Array, g: Float64Array, b: Float64Array, dy: Float64Array, n: number, C: number, eps: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = 0; j < C; j++) m += x[i * C + j] / C;
    let v = 0;
    for (let j = 0; j < C; j++) v += (x[i * C + j] - m) ** 2 / C;
    for (let j = 0; j < C; j++) total += (((x[i * C + j] - m) / Math.sqrt(v + eps)) * g[j] + b[j]) * dy[i * C + j];
  }
  return total;
}

describe.skipIf(skip)('layerNorm with the native kernels', () => {
  it('values and x/gamma/beta gradients match the tfjs formula within 1e-6 relative and float64 finite differences within 1e-3; no leaks', () => {
    expect(KERNELS.every((k) => tf.getKernel(k, tf.getBackend()) !== undefined)).toBe(true);
    const [n, C, eps] = [6, 37, 1e-5];
    const xv = tf.randomNormal([n, C], 0.5, 2, 'float32', 1).dataSync() as Float32Array;
    xv.fill(-1.25, 0, C); // a constant row
    const x = tf.tensor2d(xv, [n, C]);
    const gamma = tf.randomNormal([C], 1, 0.3, 'float32', 2) as tf.Tensor1D;
    const beta = tf.randomNormal([C], 0, 0.3, 'float32', 3) as tf.Tensor1D;
    const dy = tf.randomNormal([n, C], 0, 1, 'float32', 4);
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(layerNorm(a as tf.Tensor2D, { gamma: g as tf.Tensor1D, beta: b as tf.Tensor1D }, eps), dy));
    const run = (): tf.Tensor[] => [layerNorm(x, { gamma, beta }, eps), ...tf.grads(f)([x, gamma, beta])];
    const before = tf.memory().numTensors;
    const native = run();
    expect(tf.memory().numTensors).toBe(before + 4);
    const formula = withoutKernels(KERNELS, run);
    // relative to each result's largest magnitude: the constant row's dx is rstd·(…) with rstd = 1/√eps ≈ 316
    ['y', 'dx', 'dgamma', 'dbeta'].forEach((what, i) => {
      const scale = Math.max(1, ...Array.from(formula[i].dataSync(), Math.abs));
      expect(maxAbsDiff(native[i].dataSync(), formula[i].dataSync()) / scale, what).toBeLessThan(1e-6);
    });
    expect(Array.from(native[0].dataSync().slice(0, C))).toEqual(Array.from(beta.dataSync())); // constant row → beta

    // central differences of the float64 loss at a few coordinates of each input
    const [x64, g64, b64, dy64] = [xv, gamma.dataSync(), beta.dataSync(), dy.dataSync()].map((a) => Float64Array.from(a));
    const h = 1e-6;
    const inputs: [Float64Array, tf.Tensor][] = [[x64, native[1]], [g64, native[2]], [b64, native[3]]];
    for (const [arr, grad] of inputs) {
      const analytic = grad.dataSync();
      for (const k of [0, 5, arr.length - 1, Math.floor(arr.length / 2)]) {
        const keep = arr[k];
        arr[k] = keep + h;
        const up = loss64(x64, g64, b64, dy64, n, C, eps);
        arr[k] = keep - h;
        const down = loss64(x64, g64, b64, dy64, n, C, eps);
        arr[k] = keep;
        expect(Math.abs(analytic[k] - (up - down) / (2 * h))).toBeLessThan(1e-3);
      }
    }
    tf.dispose([x, gamma, beta, dy, ...native, ...formula]);
  });

  it('a [512, 768] forward matches the tfjs formula within 1e-5 (GPT-2 width, rows scaled up to 100)', () => {
    const x = tf.tidy(() => tf.mul(tf.randomNormal([512, 768], 0, 1, 'float32', 5), tf.linspace(0.01, 100, 512).reshape([512, 1]))) as tf.Tensor2D;
    const w = { gamma: tf.randomNormal([768], 1, 0.2, 'float32', 6) as tf.Tensor1D, beta: tf.randomNormal([768], 0, 0.2, 'float32', 7) as tf.Tensor1D };
    const y = layerNorm(x, w, 1e-5);
    const yRef = withoutKernels(KERNELS, () => layerNorm(x, w, 1e-5));
    expect(maxAbsDiff(y.dataSync(), yRef.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, w.gamma, w.beta, y, yRef]);
  });
});
