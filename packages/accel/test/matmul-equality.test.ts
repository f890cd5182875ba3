// The BLAS kernels give the plain tfjs kernels' numbers (within 1e-4 of the output's scale) over
// many shapes: 1x1, odd sizes, every transpose, broadcast batch dims, and _FusedMatMul with each
// bias form and activation. Run on the wasm and the cpu backend. Batches of larger blocks, which
// the addon splits over its kernel threads, against float64 and across thread counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { blasMatMulStats, disableBlasMatMul, enableBlasMatMul } from '../src/index.js';
import { setKernelThreads } from '../src/kernels.js';
import { addonBuilt, randInt, randTensor, relError, rng, skipNote, tf } from './helpers.js';

interface Case {
  aShape: number[];
  bShape: number[];
  transposeA: boolean;
  transposeB: boolean;
}

/** [a, b] shapes for out batch `batch`, m, n, k and the transposes. */
function shapes(aBatch: number[], bBatch: number[], m: number, n: number, k: number, tA: boolean, tB: boolean): Case {
  return {
    aShape: [...aBatch, ...(tA ? [k, m] : [m, k])],
    bShape: [...bBatch, ...(tB ? [n, k] : [k, n])],
    transposeA: tA,
    transposeB: tB,
  };
}

const FIXED: Case[] = [
  shapes([], [], 1, 1, 1, false, false),
  shapes([], [], 1, 1, 1, true, true),
  shapes([], [], 1, 7, 5, false, false), // a row vector
  shapes([], [], 9, 1, 5, false, true), // a column result
  shapes([], [], 65, 129, 31, false, false),
  shapes([], [], 33, 17, 70, true, false),
  shapes([], [], 17, 33, 70, false, true),
  shapes([], [], 8, 96, 48, true, true),
  shapes([3], [3], 5, 6, 7, false, false),
  shapes([4], [], 5, 6, 7, false, true), // b broadcast over a's batch
  shapes([], [4], 5, 6, 7, true, false), // a broadcast over b's batch
  shapes([2, 1], [1, 3], 4, 5, 6, false, false), // both broadcast: out batch [2, 3]
  shapes([2, 3], [3], 4, 5, 6, true, true), // b [3] against a [2, 3]
  shapes([2, 1, 3], [4, 1], 3, 2, 5, false, true), // out batch [2, 4, 3]
];

/** Random cases: rank 2-4, dims 1-40, random transposes, random broadcasting of batch dims. */
function randomCases(count: number, seed: number): Case[] {
  const next = rng(seed);
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const batch = Array.from({ length: randInt(next, 0, 2) }, () => randInt(next, 1, 3));
    const aBatch = batch.slice(randInt(next, 0, batch.length)).map((d) => (next() < 0.3 ? 1 : d));
    const bBatch = batch.slice(randInt(next, 0, batch.length)).map((d) => (next() < 0.3 ? 1 : d));
    const dim = () => (next() < 0.15 ? 1 : randInt(next, 1, 40));
    cases.push(shapes(aBatch, bBatch, dim(), dim(), dim(), next() < 0.5, next() < 0.5));
  }
  return cases;
}

const CASES = [...FIXED, ...randomCases(40, 7)];
const ACTIVATIONS = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const;

/** Runs `f` with the BLAS kernels and `reference` with the plain ones; returns [plain, blas, shape]. */
function bothWays(f: () => tf.Tensor, reference: () => tf.Tensor = f): [Float32Array, Float32Array, number[]] {
  disableBlasMatMul();
  const plain = tf.tidy(reference);
  expect(enableBlasMatMul().enabled).toBe(true);
  const blas = tf.tidy(f);
  expect(blas.shape).toEqual(plain.shape);
  const out: [Float32Array, Float32Array, number[]] = [
    plain.dataSync() as Float32Array,
    blas.dataSync() as Float32Array,
    blas.shape,
  ];
  plain.dispose();
  blas.dispose();
  return out;
}

/**
 * The plain kernels' matmul with batch broadcasting made explicit (tf.broadcastTo), because the
 * plain BatchMatMul kernels only broadcast a batch of 1 (e.g. a [2, 1] vs b [1, 3] batch dims
 * give a wrongly sized result on both wasm and cpu).
 */
function plainMatMul(a: tf.Tensor, b: tf.Tensor, c: Case): tf.Tensor {
  const batch = tf.broadcast_util.assertAndGetBroadcastShape(c.aShape.slice(0, -2), c.bShape.slice(0, -2));
  const aFull = tf.broadcastTo(a, [...batch, ...c.aShape.slice(-2)]);
  const bFull = tf.broadcastTo(b, [...batch, ...c.bShape.slice(-2)]);
  return tf.matMul(aFull, bFull, c.transposeA, c.transposeB);
}

/**
 * Bias and activation as separate plain ops: the reference for _FusedMatMul, because the plain
 * wasm _FusedMatMul adds the bias wrongly when transposeB is set or the batch is > 1 (tfjs 4.22).
 */
function plainEpilogue(
  x: tf.Tensor, bias: tf.Tensor | undefined, activation: string, prelu: tf.Tensor | undefined, alpha: number,
): tf.Tensor {
  const y = bias ? tf.add(x, bias) : x;
  switch (activation) {
    case 'relu': return tf.relu(y);
    case 'relu6': return tf.relu6(y);
    case 'elu': return tf.elu(y);
    case 'leakyrelu': return tf.leakyRelu(y, alpha);
    case 'sigmoid': return tf.sigmoid(y);
    case 'prelu': return tf.prelu(y, prelu!);
    default: return y;
  }
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe.skipIf(!addonBuilt)(`BLAS matmul equals the plain ${backend} kernel${skipNote}`, () => {
    beforeAll(async () => {
      expect(await tf.setBackend(backend)).toBe(true);
    });
    afterAll(() => {
      disableBlasMatMul();
    });

    it(`BatchMatMul over ${CASES.length} shapes (1x1, odd, transposes, broadcast batch)`, () => {
      const next = rng(11);
      for (const c of CASES) {
        const a = randTensor(next, c.aShape);
        const b = randTensor(next, c.bShape);
        const before = blasMatMulStats().blas;
        const [plain, blas] = bothWays(() => tf.matMul(a, b, c.transposeA, c.transposeB), () => plainMatMul(a, b, c));
        expect(blasMatMulStats().blas, `BLAS path not taken for ${JSON.stringify(c)}`).toBe(before + 1);
        expect(relError(blas, plain), JSON.stringify(c)).toBeLessThan(1e-4);
        a.dispose();
        b.dispose();
      }
    });

    it('empty matmuls (m = 0 and k = 0) match the plain kernel', () => {
      const next = rng(3);
      for (const c of [shapes([], [], 0, 4, 3, false, false), shapes([2], [2], 3, 4, 0, false, false)]) {
        const a = randTensor(next, c.aShape);
        const b = randTensor(next, c.bShape);
        const [plain, blas, shape] = bothWays(() => tf.matMul(a, b, c.transposeA, c.transposeB));
        expect(shape).toEqual([...c.aShape.slice(0, -2), c.aShape.at(-2), c.bShape.at(-1)]);
        expect(Array.from(blas)).toEqual(Array.from(plain));
        a.dispose();
        b.dispose();
      }
    });

    it('_FusedMatMul: every activation with no bias, a per-column bias [N] and a scalar bias [1]', () => {
      const next = rng(5);
      for (const activation of ACTIVATIONS) {
        for (const biasKind of ['none', 'column', 'scalar'] as const) {
          const c = randomCases(1, Math.floor(next() * 1e9))[0];
          const a = randTensor(next, c.aShape);
          const b = randTensor(next, c.bShape);
          const n = c.transposeB ? c.bShape.at(-2)! : c.bShape.at(-1)!;
          const bias = biasKind === 'none' ? undefined : randTensor(next, biasKind === 'column' ? [n] : [1]);
          const prelu = activation === 'prelu' ? randTensor(next, next() < 0.5 ? [n] : [1]) : undefined;
          const before = blasMatMulStats().blas;
          const [plain, blas] = bothWays(
            () =>
              tf.fused.matMul({
                a, b, transposeA: c.transposeA, transposeB: c.transposeB,
                bias, activation, preluActivationWeights: prelu, leakyreluAlpha: 0.13,
              }),
            () => plainEpilogue(plainMatMul(a, b, c), bias, activation, prelu, 0.13),
          );
          const what = `${activation} bias=${biasKind} ${JSON.stringify(c)}`;
          expect(blasMatMulStats().blas, `BLAS path not taken for ${what}`).toBe(before + 1);
          expect(relError(blas, plain), what).toBeLessThan(1e-4);
          tf.dispose([a, b, bias, prelu].filter((t): t is tf.Tensor => t !== undefined));
        }
      }
    });
  });
}

describe.skipIf(!addonBuilt)(`BLAS matmul falls back to the original kernel${skipNote}`, () => {
  afterAll(() => {
    disableBlasMatMul();
  });

  it('cpu: a bias that broadcasts over rows ([M, N]) runs the original kernel, same numbers', async () => {
    await tf.setBackend('cpu');
    const next = rng(9);
    const a = randTensor(next, [6, 5]);
    const b = randTensor(next, [5, 4]);
    const bias = randTensor(next, [6, 4]);
    const before = blasMatMulStats().fallback;
    const fusedRelu = () => tf.fused.matMul({ a, b, bias, activation: 'relu' });
    const [plain, blas] = bothWays(fusedRelu, fusedRelu);
    expect(blasMatMulStats().fallback).toBe(before + 1);
    expect(relError(blas, plain)).toBeLessThan(1e-6);
    tf.dispose([a, b, bias]);
  });

  it('wasm: int32 inputs go to the original kernel and fail the same way', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor2d([[1, 2]], [1, 2], 'int32');
    const b = tf.tensor2d([[3], [4]], [2, 1], 'int32');
    disableBlasMatMul();
    const plainError = (() => {
      try {
        tf.matMul(a, b).dispose();
        return 'no error';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    enableBlasMatMul();
    const before = blasMatMulStats().fallback;
    if (plainError === 'no error') {
      tf.matMul(a, b).dispose();
    } else {
      expect(() => tf.matMul(a, b)).toThrow(plainError);
    }
    expect(blasMatMulStats().fallback).toBe(before + 1);
    tf.dispose([a, b]);
  });

  it('mismatched inner dims throw the tfjs error naming both shapes', async () => {
    await tf.setBackend('wasm');
    enableBlasMatMul();
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([4, 5]);
    expect(() => tf.matMul(a, b)).toThrow(/inner shapes \(3\) and \(4\).*2,3 and 4,5/);
    tf.dispose([a, b]);
  });
});

/** float64 op(A)·op(B) per output block, from the float32 inputs; batch dims already equal. */
function matMul64(a: Float32Array, b: Float32Array, c: Case): Float64Array {
  const [m, k] = c.transposeA ? [c.aShape.at(-1)!, c.aShape.at(-2)!] : [c.aShape.at(-2)!, c.aShape.at(-1)!];
  const n = c.transposeB ? c.bShape.at(-2)! : c.bShape.at(-1)!;
  const batch = c.aShape.slice(0, -2).reduce((p, d) => p * d, 1);
  const bBatch = c.bShape.slice(0, -2).reduce((p, d) => p * d, 1);
  const out = new Float64Array(batch * m * n);
  for (let i = 0; i < batch; i++) {
    const ao = i * m * k;
    const bo = (bBatch === 1 ? 0 : i) * k * n;
    for (let r = 0; r < m; r++) {
      for (let col = 0; col < n; col++) {
        let s = 0;
        for (let j = 0; j < k; j++) {
          s += a[ao + (c.transposeA ? j * m + r : r * k + j)] * b[bo + (c.transposeB ? col * k + j : j * n + col)];
        }
        out[(i * m + r) * n + col] = s;
      }
    }
  }
  return out;
}

// Attention-like batches whose blocks (≥ 2^18 multiply-adds each) the addon runs in parallel, one
// single-threaded sgemm per block on its kernel threads.
const BATCHED: Case[] = [
  shapes([2, 3], [2, 3], 70, 67, 64, false, true), // q·kᵀ
  shapes([2, 3], [2, 3], 70, 64, 67, false, false), // p·v
  shapes([5], [1], 67, 65, 71, true, false), // b broadcast, transposeA (a gradient)
  shapes([3], [3], 64, 71, 66, true, true),
];

for (const backend of ['wasm', 'cpu'] as const) {
  describe.skipIf(!addonBuilt)(`batched small matmuls split over the kernel threads on ${backend}${skipNote}`, () => {
    const threadsBefore = setKernelThreads(0);
    beforeAll(async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      expect(enableBlasMatMul({ backends: [backend] }).enabled).toBe(true);
    });
    afterAll(() => {
      setKernelThreads(threadsBefore);
      disableBlasMatMul();
    });

    it('match float64 within 1e-5 relative, and 1, 2 and 3 threads give the same bits (with a bias + relu epilogue)', () => {
      const next = rng(21);
      for (const c of BATCHED) {
        const a = randTensor(next, c.aShape);
        const b = randTensor(next, c.bShape);
        const n = c.transposeB ? c.bShape.at(-2)! : c.bShape.at(-1)!;
        const bias = randTensor(next, [n]);
        const want = matMul64(a.dataSync() as Float32Array, b.dataSync() as Float32Array, c);
        const runs = [1, 2, 3].map((threads) => {
          expect(setKernelThreads(threads)).toBe(threads);
          return tf.tidy(() => [
            tf.matMul(a, b, c.transposeA, c.transposeB).dataSync() as Float32Array,
            tf.fused.matMul({ a, b, transposeA: c.transposeA, transposeB: c.transposeB, bias, activation: 'relu' }).dataSync() as Float32Array,
          ]);
        });
        const biasHost = bias.dataSync();
        const wantFused = want.map((v, i) => Math.max(0, v + biasHost[i % n]));
        expect(relError(runs[0][0], want), JSON.stringify(c)).toBeLessThan(1e-5);
        expect(relError(runs[0][1], wantFused), JSON.stringify(c)).toBeLessThan(1e-5);
        for (const run of runs.slice(1)) {
          expect(Buffer.from(run[0].buffer, run[0].byteOffset, run[0].byteLength).equals(Buffer.from(runs[0][0].buffer, runs[0][0].byteOffset, runs[0][0].byteLength)), `plain ${JSON.stringify(c)}`).toBe(true);
          expect(Buffer.from(run[1].buffer, run[1].byteOffset, run[1].byteLength).equals(Buffer.from(runs[0][1].buffer, runs[0][1].byteOffset, runs[0][1].byteLength)), `fused ${JSON.stringify(c)}`).toBe(true);
        }
        tf.dispose([a, b, bias]);
      }
    });
  });
}
