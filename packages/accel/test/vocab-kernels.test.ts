// The fused log-softmax + gather kernel (native/napi/vocab.cc) on wasm and cpu: log-probs, entropies and
// the gradient (onehot − p) / T against float64, the vectorised exp at the ends of its range, and
// errors that name the bad input; rows split over the kernel threads give the same bits for any
// thread count. Registered by enableBlasMatMul, removed by disableBlasMatMul.
import { afterAll, describe, expect, it } from 'vitest';

import { disableBlasMatMul, enableBlasMatMul, LOG_SOFTMAX_GATHER } from '../src/index.js';
import { setKernelThreads } from '../src/kernels.js';
import { addonBuilt, randTensor, rng, skipNote, tf } from './helpers.js';

/** Runs the kernel; returns [logp, entropy, grad] as host arrays. */
function run(logits: tf.Tensor, targets: tf.Tensor, temperature: number): Float32Array[] {
  const out = tf.engine().runKernel(LOG_SOFTMAX_GATHER, { logits, targets }, { temperature, withEntropy: true, withGrad: true } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const host = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose(out);
  return host;
}

/** The same in float64, from the float32 logits. */
function exact(x: Float32Array, t: Int32Array, V: number, T: number): { logp: number[]; entropy: number[]; grad: number[] } {
  const logp: number[] = [];
  const entropy: number[] = [];
  const grad: number[] = [];
  for (let i = 0; i < t.length; i++) {
    const z = Array.from(x.subarray(i * V, (i + 1) * V), (v) => v / T);
    const max = z.reduce((a, b) => Math.max(a, b));
    const lse = max + Math.log(z.reduce((a, v) => a + Math.exp(v - max), 0));
    logp.push(z[t[i]] - lse);
    entropy.push(-z.reduce((a, v) => a + Math.exp(v - lse) * (v - lse), 0));
    z.forEach((v, j) => grad.push(((j === t[i] ? 1 : 0) - Math.exp(v - lse)) / T));
  }
  return { logp, entropy, grad };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe.skipIf(!addonBuilt)(`${LOG_SOFTMAX_GATHER}${skipNote}`, () => {
  afterAll(() => {
    disableBlasMatMul();
  });

  for (const backend of ['wasm', 'cpu']) {
    it(`on ${backend}: log-probs, entropy and gradient match float64 (4e-6 / 1e-7: z = logits / T is float32, |z| ≤ 20)`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      expect(enableBlasMatMul({ backends: [backend as 'wasm' | 'cpu'] }).enabled).toBe(true);
      const next = rng(11);
      const V = 3001; // not a multiple of the SIMD width or of the kernel's 1024-float blocks
      const logits = tf.mul(randTensor(next, [5, V]), 12); // logits in [-12, 12)
      const t = Int32Array.from([0, V - 1, 17, 1500, 2999]);
      const targets = tf.tensor1d(t, 'int32');
      for (const T of [0.6, 1, 1.7]) {
        const [logp, entropy, grad] = run(logits, targets, T);
        const want = exact(logits.dataSync() as Float32Array, t, V, T);
        expect(maxDiff(logp, want.logp)).toBeLessThan(4e-6);
        expect(maxDiff(entropy, want.entropy)).toBeLessThan(4e-6);
        expect(maxDiff(grad, want.grad)).toBeLessThan(1e-7);
      }
      tf.dispose([logits, targets]);
    });
  }

  it('the vectorised exp holds at the ends of its range (-inf → 0, underflow, a single huge logit)', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    enableBlasMatMul({ backends: ['wasm'] });
    const logits = tf.tensor2d([[0, -Infinity, -200, 100, 50], [3, 3, 3, 3, 3]]);
    const targets = tf.tensor1d([3, 2], 'int32');
    const [logp, entropy, grad] = run(logits, targets, 1);
    expect(logp[0]).toBeCloseTo(0, 6);
    expect(logp[1]).toBeCloseTo(-Math.log(5), 6);
    expect(entropy[1]).toBeCloseTo(Math.log(5), 6);
    expect(Array.from(grad.slice(0, 5)).every(Number.isFinite)).toBe(true);
    expect(grad[1]).toBe(-0);
    tf.dispose([logits, targets]);
  });

  it('names the bad input: targets out of range, wrong dtype or length, temperature', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    enableBlasMatMul({ backends: ['wasm'] });
    const logits = tf.zeros([2, 4]);
    const call = (targets: tf.Tensor, temperature = 1) => () =>
      tf.engine().runKernel(LOG_SOFTMAX_GATHER, { logits, targets }, { temperature } as unknown as tf.NamedAttrMap);
    expect(call(tf.tensor1d([0, 4], 'int32'))).toThrow(/targets\[1\] = 4 is outside \[0, 4\)/);
    expect(call(tf.tensor1d([0, 1], 'float32'))).toThrow(/targets must be int32 \[2\]/);
    expect(call(tf.tensor1d([0], 'int32'))).toThrow(/targets must be int32 \[2\]/);
    expect(call(tf.tensor1d([0, 1], 'int32'), 0)).toThrow(/temperature must be finite and > 0/);
    disableBlasMatMul();
    expect(tf.getKernel(LOG_SOFTMAX_GATHER, 'wasm')).toBeUndefined();
  });

  it('rows split over the kernel threads: float64 within 4e-6 / 1e-7 and the same bits for 1, 2 and 3 threads (9 rows, with and without the gradient)', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    enableBlasMatMul({ backends: ['wasm'] });
    const threadsBefore = setKernelThreads(0);
    const next = rng(17);
    const V = 2053;
    const logits = tf.mul(randTensor(next, [9, V]), 15);
    const t = Int32Array.from({ length: 9 }, (_, i) => (i * 977) % V);
    const targets = tf.tensor1d(t, 'int32');
    const runs = [1, 2, 3].map((threads) => {
      expect(setKernelThreads(threads)).toBe(threads);
      const full = run(logits, targets, 0.8);
      const out = tf.engine().runKernel(LOG_SOFTMAX_GATHER, { logits, targets }, { temperature: 0.8, withEntropy: false, withGrad: false } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      const logpOnly = out[0].dataSync() as Float32Array;
      tf.dispose(out);
      return [...full, logpOnly];
    });
    setKernelThreads(threadsBefore);
    const want = exact(logits.dataSync() as Float32Array, t, V, 0.8);
    const [logp, entropy, grad, logpOnly] = runs[0];
    expect(maxDiff(logp, want.logp)).toBeLessThan(4e-6);
    expect(maxDiff(logpOnly, want.logp)).toBeLessThan(4e-6);
    expect(maxDiff(entropy, want.entropy)).toBeLessThan(4e-6);
    expect(maxDiff(grad, want.grad)).toBeLessThan(1e-7);
    for (const other of runs.slice(1)) {
      other.forEach((a, i) => expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(runs[0][i].buffer, runs[0][i].byteOffset, runs[0][i].byteLength))).toBe(true));
    }
    tf.dispose([logits, targets]);
    disableBlasMatMul();
  });
});
