// The attention softmax kernels (native/napi/attention.cc) on wasm and cpu against float64:
// odd sizes, masked and fully masked rows, the bias broadcast over heads; the gradient; shape checks.
import { afterAll, describe, expect, it } from 'vitest';

import { disableBlasMatMul, enableBlasMatMul, MASKED_SOFTMAX, MASKED_SOFTMAX_GRAD, SPLIT_HEADS, SPLIT_HEADS_GRAD } from '../src/index.js';
import { addonBuilt, randTensor, relError, rng, skipNote, tf } from './helpers.js';

describe.skipIf(!addonBuilt)(`${MASKED_SOFTMAX} and ${MASKED_SOFTMAX_GRAD}${skipNote}`, () => {
  afterAll(() => {
    disableBlasMatMul();
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`on ${backend}: probabilities and the scores' gradient match float64 within 1e-6 (odd sizes, masked rows)`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      enableBlasMatMul({ backends: [backend] });
      const next = rng(3);
      for (const [B, H, T, S] of [[1, 1, 1, 1], [2, 3, 5, 7], [1, 2, 3, 37]]) {
        const scale = 0.125;
        const scores = randTensor(next, [B, H, T, S]).mul(20) as tf.Tensor4D;
        // causal mask plus a fully masked query row (b 0, t 0) when S > 1
        const biasV = new Float32Array(B * T * S).map((_, i) => (i % S > Math.floor(i / S) % T + (S - T) || (S > 1 && i < S) ? -1e9 : 0));
        const bias = tf.tensor4d(biasV, [B, 1, T, S]);
        const dp = randTensor(next, [B, H, T, S]);
        const before = tf.memory().numTensors;
        const p = tf.engine().runKernel(MASKED_SOFTMAX, { scores, bias }, { scale }) as tf.Tensor;
        const g = tf.engine().runKernel(MASKED_SOFTMAX_GRAD, { p, dp }, { scale }) as tf.Tensor;
        expect(tf.memory().numTensors).toBe(before + 2);
        const [s, d] = [scores.dataSync(), dp.dataSync()];
        const wantP = new Float64Array(s.length);
        const wantG = new Float64Array(s.length);
        for (let r = 0; r < B * H * T; r++) {
          const b = Math.floor(r / (H * T));
          const t = r % T;
          // z rounded to float32 as the kernel (and tfjs) computes it: −1e9 + a score is −1e9 there,
          // so a fully masked row is uniform
          const z = Array.from({ length: S }, (_, j) => Math.fround(Math.fround(s[r * S + j] * scale) + biasV[(b * T + t) * S + j]));
          const mx = Math.max(...z);
          const e = z.map((v) => Math.exp(v - mx));
          const sum = e.reduce((a, v) => a + v, 0);
          let dot = 0;
          for (let j = 0; j < S; j++) dot += (e[j] / sum) * d[r * S + j];
          for (let j = 0; j < S; j++) {
            wantP[r * S + j] = e[j] / sum;
            wantG[r * S + j] = scale * (e[j] / sum) * (d[r * S + j] - dot);
          }
        }
        expect(relError(p.dataSync(), wantP), `p [${B},${H},${T},${S}]`).toBeLessThan(1e-6);
        expect(relError(g.dataSync(), wantG), `grad [${B},${H},${T},${S}]`).toBeLessThan(1e-6);
        tf.dispose([scores, bias, dp, p, g]);
      }
      const scores = tf.zeros([1, 2, 3, 4]);
      expect(() => tf.engine().runKernel(MASKED_SOFTMAX, { scores, bias: tf.zeros([1, 2, 3, 4]) }, { scale: 1 })).toThrow(/bias \[B, 1, T, S\], got \[1,2,3,4\] and \[1,2,3,4\]/);
      expect(() => tf.engine().runKernel(MASKED_SOFTMAX, { scores, bias: tf.zeros([1, 1, 3, 4]) }, {})).toThrow(/attrs\.scale/);
      expect(() => tf.engine().runKernel(MASKED_SOFTMAX_GRAD, { p: scores, dp: tf.zeros([1, 2, 3, 5]) }, { scale: 1 })).toThrow(/same shape/);
      disableBlasMatMul();
      expect(tf.getKernel(MASKED_SOFTMAX, backend)).toBeUndefined();
    });

    it(`on ${backend}: the head split equals SplitV + Transposes bit for bit, its gradient Transposes + Concat`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      enableBlasMatMul({ backends: [backend] });
      const next = rng(5);
      for (const [B, T, H, D] of [[1, 1, 1, 1], [2, 5, 3, 7], [3, 4, 2, 16]]) {
        const qkv = randTensor(next, [B * T, 3 * H * D]);
        const before = tf.memory().numTensors;
        const outs = tf.engine().runKernel(SPLIT_HEADS, { qkv }, { batch: B, heads: H }) as tf.Tensor[];
        const back = tf.engine().runKernel(SPLIT_HEADS_GRAD, { dq: outs[0], dk: outs[1], dv: outs[2] }) as tf.Tensor;
        expect(tf.memory().numTensors).toBe(before + 4);
        const want = tf.split(qkv, 3, 1).map((t) => tf.transpose(tf.reshape(t, [B, T, H, D]), [0, 2, 1, 3]));
        outs.forEach((o, i) => expect(Array.from(o.dataSync())).toEqual(Array.from(want[i].dataSync())));
        expect(Array.from(back.dataSync())).toEqual(Array.from(qkv.dataSync())); // the inverse
        tf.dispose([qkv, back, ...outs, ...want]);
      }
      expect(() => tf.engine().runKernel(SPLIT_HEADS, { qkv: tf.zeros([4, 10]) }, { batch: 2, heads: 2 })).toThrow(/\[B·T, 3·H·D\] for attrs batch 2 and heads 2, got \[4,10\]/);
      disableBlasMatMul();
      expect(tf.getKernel(SPLIT_HEADS, backend)).toBeUndefined();
    });
  }
});
