// The gelu_new kernels (native/napi/gelu.cc) on wasm and cpu against float64, the shape check, and a
// large odd-sized input split over the kernel threads: the same bits for 1, 2 and 3 threads.
import { afterAll, describe, expect, it } from 'vitest';

import { disableBlasMatMul, enableBlasMatMul, GELU_NEW, GELU_NEW_GRAD } from '../src/index.js';
import { setKernelThreads } from '../src/kernels.js';
import { addonBuilt, rng, skipNote, tf } from './helpers.js';

const c = Math.sqrt(2 / Math.PI);
const tanhOf = (x: number): number => Math.tanh(c * (x + 0.044715 * x ** 3));

describe.skipIf(!addonBuilt)(`${GELU_NEW} and ${GELU_NEW_GRAD}${skipNote}`, () => {
  afterAll(() => {
    disableBlasMatMul();
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`on ${backend}: gelu_new and dy·gelu_new' match float64 within 1e-6 relative / 2e-6 (odd length, both tails)`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      enableBlasMatMul({ backends: [backend] });
      const xs = Array.from({ length: 1001 }, (_, i) => -9 + (18 * i) / 1001).concat([-100, 100, 0]);
      const x = tf.tensor2d(xs, [1, xs.length]);
      const dy = tf.onesLike(x);
      const y = (tf.engine().runKernel(GELU_NEW, { x }) as tf.Tensor).dataSync();
      const g = (tf.engine().runKernel(GELU_NEW_GRAD, { x, dy }) as tf.Tensor).dataSync();
      xs.forEach((v, i) => {
        const t = tanhOf(v);
        expect(Math.abs(y[i] - 0.5 * v * (1 + t))).toBeLessThan(1e-6 * Math.max(1, Math.abs(v)));
        expect(Math.abs(g[i] - (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v)))).toBeLessThan(2e-6);
      });
      expect(() => tf.engine().runKernel(GELU_NEW_GRAD, { x, dy: tf.zeros([2, 2]) })).toThrow(/x \[1,1004\] and dy \[2,2\] must have the same shape/);
      disableBlasMatMul();
      expect(tf.getKernel(GELU_NEW, backend)).toBeUndefined();
    });
  }

  it('a large odd-sized input (split over the kernel threads): within tolerance of float64, identical for 1, 2 and 3 threads', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    enableBlasMatMul({ backends: ['wasm'] });
    const threadsBefore = setKernelThreads(0);
    const next = rng(5);
    const size = 3 * 65536 + 1001;
    const xs = Float32Array.from({ length: size }, () => (next() * 2 - 1) * 8);
    const dys = Float32Array.from({ length: size }, () => next() * 2 - 1);
    const x = tf.tensor1d(xs);
    const dy = tf.tensor1d(dys);
    const runs = [1, 2, 3].map((threads) => {
      expect(setKernelThreads(threads)).toBe(threads);
      return tf.tidy(() => [
        (tf.engine().runKernel(GELU_NEW, { x }) as tf.Tensor).dataSync() as Float32Array,
        (tf.engine().runKernel(GELU_NEW_GRAD, { x, dy }) as tf.Tensor).dataSync() as Float32Array,
      ]);
    });
    setKernelThreads(threadsBefore);
    const [y, g] = runs[0];
    let yErr = 0;
    let gErr = 0;
    xs.forEach((v, i) => {
      const t = tanhOf(v);
      yErr = Math.max(yErr, Math.abs(y[i] - 0.5 * v * (1 + t)) / Math.max(1, Math.abs(v)));
      gErr = Math.max(gErr, Math.abs(g[i] - dys[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v))));
    });
    expect(yErr).toBeLessThan(1e-6);
    expect(gErr).toBeLessThan(2e-6);
    for (const [yt, gt] of runs.slice(1)) {
      expect(Buffer.from(yt.buffer, yt.byteOffset, yt.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength))).toBe(true);
      expect(Buffer.from(gt.buffer, gt.byteOffset, gt.byteLength).equals(Buffer.from(g.buffer, g.byteOffset, g.byteLength))).toBe(true);
    }
    tf.dispose([x, dy]);
    disableBlasMatMul();
  });
});
