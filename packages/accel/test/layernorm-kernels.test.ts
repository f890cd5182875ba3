// The LayerNorm kernels (native/napi/layernorm.cc) on wasm and cpu against a float64 reference: odd
// sizes, rows of constant values, large offsets; the backward's dx, dgamma, dbeta; shape checks.
import { afterAll, describe, expect, it } from 'vitest';

import { disableBlasMatMul, enableBlasMatMul, LAYER_NORM, LAYER_NORM_GRAD } from '../src/index.js';
import { addonBuilt, randTensor, relError, rng, skipNote, tf } from './helpers.js';

/** float64 LayerNorm of rows x [n, C]: y, mean, rstd, and for dy the gradients dx, dgamma, dbeta. */
function reference(x: Float32Array, g: Float32Array, b: Float32Array, dy: Float32Array, n: number, C: number, eps: number) {
  const y = new Float64Array(n * C);
  const dx = new Float64Array(n * C);
  const dg = new Float64Array(C);
  const db = new Float64Array(C);
  const mean = new Float64Array(n);
  const rstd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = 0; j < C; j++) m += x[i * C + j];
    m /= C;
    let v = 0;
    for (let j = 0; j < C; j++) v += (x[i * C + j] - m) ** 2;
    const r = 1 / Math.sqrt(v / C + eps);
    mean[i] = m;
    rstd[i] = r;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < C; j++) {
      const xh = (x[i * C + j] - m) * r;
      y[i * C + j] = xh * g[j] + b[j];
      s1 += g[j] * dy[i * C + j];
      s2 += g[j] * dy[i * C + j] * xh;
      dg[j] += dy[i * C + j] * xh;
      db[j] += dy[i * C + j];
    }
    for (let j = 0; j < C; j++) {
      const xh = (x[i * C + j] - m) * r;
      dx[i * C + j] = r * (g[j] * dy[i * C + j] - s1 / C - xh * (s2 / C));
    }
  }
  return { y, mean, rstd, dx, dg, db };
}

describe.skipIf(!addonBuilt)(`${LAYER_NORM} and ${LAYER_NORM_GRAD}${skipNote}`, () => {
  afterAll(() => {
    disableBlasMatMul();
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`on ${backend}: y, mean, rstd and dx, dgamma, dbeta match float64 (odd sizes, constant rows, offset rows) within 2e-6 (y) / 4e-6 (gradients) relative`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      enableBlasMatMul({ backends: [backend] });
      const next = rng(7);
      for (const [n, C] of [[1, 1], [3, 5], [7, 33], [13, 768]]) {
        const eps = 1e-5;
        const xs = randTensor(next, [n, C]).dataSync() as Float32Array;
        // row 0 constant (variance 0: y = beta exactly); the last row offset by 16 (cancellation:
        // the float mean's rounding, ~1e-6 there, enters the backward's x̂)
        for (let j = 0; j < C; j++) xs[j] = 0.375;
        if (n > 2) for (let j = 0; j < C; j++) xs[(n - 1) * C + j] += 16;
        const [x, gamma, beta, dy] = [tf.tensor2d(xs, [n, C]), randTensor(next, [C]), randTensor(next, [C]), randTensor(next, [n, C])];
        const before = tf.memory().numTensors;
        const [y, mean, rstd] = tf.engine().runKernel(LAYER_NORM, { x, gamma, beta }, { epsilon: eps }) as tf.Tensor[];
        const [dx, dgamma, dbeta] = tf.engine().runKernel(LAYER_NORM_GRAD, { x, gamma, mean, rstd, dy }) as tf.Tensor[];
        expect(tf.memory().numTensors).toBe(before + 6);
        const want = reference(xs, gamma.dataSync() as Float32Array, beta.dataSync() as Float32Array, dy.dataSync() as Float32Array, n, C, eps);
        const what = `[${n}, ${C}] on ${backend}`;
        expect(relError(y.dataSync(), want.y), `y ${what}`).toBeLessThan(2e-6);
        expect(relError(mean.dataSync(), want.mean), `mean ${what}`).toBeLessThan(1e-7);
        expect(relError(rstd.dataSync(), want.rstd), `rstd ${what}`).toBeLessThan(2e-7);
        expect(relError(dx.dataSync(), want.dx), `dx ${what}`).toBeLessThan(4e-6);
        expect(relError(dgamma.dataSync(), want.dg), `dgamma ${what}`).toBeLessThan(4e-6);
        expect(relError(dbeta.dataSync(), want.db), `dbeta ${what}`).toBeLessThan(1e-6);
        // the constant row: x̂ = 0, so exactly beta (its dx = rstd·(g·dy − mean(g·dy)) is checked above)
        expect(Array.from(y.dataSync().slice(0, C))).toEqual(Array.from(beta.dataSync()));
        tf.dispose([x, gamma, beta, dy, y, mean, rstd, dx, dgamma, dbeta]);
      }
      const x = tf.zeros([2, 3]);
      expect(() => tf.engine().runKernel(LAYER_NORM, { x, gamma: tf.zeros([4]), beta: tf.zeros([3]) }, { epsilon: 1e-5 })).toThrow(
        /gamma must be float32 \[3\], got float32 \[4\]/,
      );
      expect(() => tf.engine().runKernel(LAYER_NORM, { x, gamma: tf.zeros([3]), beta: tf.zeros([3]) }, {})).toThrow(/attrs\.epsilon/);
      expect(() =>
        tf.engine().runKernel(LAYER_NORM_GRAD, { x, gamma: tf.zeros([3]), mean: tf.zeros([2]), rstd: tf.zeros([3]), dy: tf.zeros([2, 3]) }),
      ).toThrow(/rstd must be float32 \[2\]/);
      disableBlasMatMul();
      expect(tf.getKernel(LAYER_NORM, backend)).toBeUndefined();
    });
  }
});
