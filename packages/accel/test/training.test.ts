// Training through the BLAS kernels: tf.grad of matmul-based functions, and a 2-layer MLP's
// forward + backward, give the plain wasm kernels' numbers within 1e-4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { blasMatMulStats, disableBlasMatMul, enableBlasMatMul } from '../src/index.js';
import { addonBuilt, randTensor, relError, rng, skipNote, tf } from './helpers.js';

/** Runs `f` (returning tensors) with the plain kernels, then with the BLAS ones; returns both value lists. */
function bothWays(f: () => tf.Tensor[]): { plain: Float32Array[]; blas: Float32Array[]; blasCalls: number } {
  const run = () => {
    const outs = tf.tidy(f);
    const values = outs.map((t) => t.dataSync() as Float32Array);
    tf.dispose(outs);
    return values;
  };
  disableBlasMatMul();
  const plain = run();
  enableBlasMatMul({ backends: ['wasm'] });
  const before = blasMatMulStats().blas;
  const blas = run();
  return { plain, blas, blasCalls: blasMatMulStats().blas - before };
}

describe.skipIf(!addonBuilt)(`gradients through the BLAS matmul (wasm)${skipNote}`, () => {
  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(() => {
    disableBlasMatMul();
  });

  it('tf.grads of sum(matMul(a, b)^2) with every transpose, batched', () => {
    const next = rng(21);
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = randTensor(next, tA ? [3, 9, 7] : [3, 7, 9]); // [batch, m, k] or [batch, k, m]
      // tfjs's BatchMatMul gradient does not reduce broadcast batch dims, so b has a's batch here.
      const b = randTensor(next, tB ? [3, 5, 9] : [3, 9, 5]);
      const loss = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, tA, tB)));
      const { plain, blas, blasCalls } = bothWays(() => tf.grads(loss)([a, b]));
      expect(blasCalls).toBeGreaterThanOrEqual(3); // forward, dA, dB
      for (let i = 0; i < plain.length; i++) expect(relError(blas[i], plain[i]), `grad ${i} tA=${tA} tB=${tB}`).toBeLessThan(1e-4);
      tf.dispose([a, b]);
    }
  });

  it('tf.grads through tf.fused.matMul with bias and relu (dA, dB, dBias)', () => {
    const next = rng(22);
    const a = randTensor(next, [6, 11]);
    const b = randTensor(next, [11, 13]);
    const bias = randTensor(next, [13]);
    const loss = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
      tf.sum(tf.mul(tf.fused.matMul({ a: x, b: y, bias: z, activation: 'relu' }), tf.range(0, 13)));
    const { plain, blas, blasCalls } = bothWays(() => tf.grads(loss)([a, b, bias]));
    expect(blasCalls).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < plain.length; i++) expect(relError(blas[i], plain[i]), `grad ${i}`).toBeLessThan(1e-4);
    tf.dispose([a, b, bias]);
  });
});

describe.skipIf(!addonBuilt)(`a 2-layer MLP forward + backward with and without the BLAS matmul (wasm)${skipNote}`, () => {
  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(() => {
    disableBlasMatMul();
  });

  it('loss and all four gradients match within 1e-4', () => {
    const next = rng(31);
    const x = randTensor(next, [32, 20]); // [batch, in]
    const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => (i * 7) % 10), 'int32'), 10); // [batch, classes]
    const w1 = tf.mul(randTensor(next, [20, 64]), 0.3); // [in, hidden]
    const b1 = tf.mul(randTensor(next, [64]), 0.1);
    const w2 = tf.mul(randTensor(next, [64, 10]), 0.3); // [hidden, classes]
    const b2 = tf.mul(randTensor(next, [10]), 0.1);
    const lossOf = (p1: tf.Tensor, q1: tf.Tensor, p2: tf.Tensor, q2: tf.Tensor) => {
      const hidden = tf.tanh(tf.add(tf.matMul(x, p1), q1)); // [batch, hidden]
      const logits = tf.fused.matMul({ a: hidden, b: p2, bias: q2 }); // [batch, classes]
      return tf.losses.softmaxCrossEntropy(labels, logits);
    };
    const { plain, blas, blasCalls } = bothWays(() => {
      const { value, grads } = tf.valueAndGrads(lossOf)([w1, b1, w2, b2]);
      return [value, ...grads];
    });
    expect(blasCalls).toBeGreaterThanOrEqual(5); // 2 forward, 3 backward (dW1, dHidden, dW2)
    expect(plain[0][0]).toBeGreaterThan(1); // a real loss, not a degenerate 0
    for (let i = 0; i < plain.length; i++) expect(relError(blas[i], plain[i]), `output ${i}`).toBeLessThan(1e-4);
    tf.dispose([x, labels, w1, b1, w2, b2]);
  });
});
