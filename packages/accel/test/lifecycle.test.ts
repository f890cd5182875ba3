// Enabling and disabling: no tensor or wasm-heap growth over many calls, correct results after the
// wasm heap grows (its ArrayBuffer is replaced), disable restores the original kernels, and bad
// options are rejected with an error naming the option.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  ACCEL_KERNEL_FAMILIES,
  ACCEL_KERNELS,
  AccelOptionsError,
  accelApi,
  blasMatMulBackends,
  blasMatMulStats,
  disableBlasMatMul,
  enableBlasMatMul,
} from '../src/index.js';
import { addonBuilt, randTensor, relError, rng, skipNote, tf } from './helpers.js';

/** The wasm backend's heap, as tfjs-backend-wasm keeps it (dist/backend_wasm.js: this.wasm.HEAPU8). */
function wasmHeap(): Uint8Array {
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;
}

describe.skipIf(!addonBuilt)(`BLAS matmul lifecycle on wasm${skipNote}`, () => {
  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(() => {
    disableBlasMatMul();
  });

  it('disable restores the very kernel functions that were registered before enable', () => {
    disableBlasMatMul();
    const before = ['BatchMatMul', '_FusedMatMul'].map((k) => tf.getKernel(k, 'wasm')!.kernelFunc);
    const status = enableBlasMatMul({ backends: ['wasm'] });
    expect(status).toMatchObject({ enabled: true, backends: ['wasm'] });
    expect(status.reason).toBeUndefined();
    expect(blasMatMulBackends()).toEqual(['wasm']);
    const during = ['BatchMatMul', '_FusedMatMul'].map((k) => tf.getKernel(k, 'wasm')!.kernelFunc);
    expect(during[0]).not.toBe(before[0]);
    expect(during[1]).not.toBe(before[1]);
    // enabling twice keeps one layer of patching (disable must still get back to the originals)
    expect(enableBlasMatMul({ backends: ['wasm'] }).enabled).toBe(true);
    expect(disableBlasMatMul()).toEqual(['wasm']);
    const after = ['BatchMatMul', '_FusedMatMul'].map((k) => tf.getKernel(k, 'wasm')!.kernelFunc);
    expect(after).toEqual(before);
    expect(blasMatMulBackends()).toEqual([]);
    const calls = blasMatMulStats().blas;
    tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 4])).dataSync());
    expect(blasMatMulStats().blas).toBe(calls); // the plain kernel ran
  });

  it('no tensor, byte or wasm-heap growth over 300 matmuls (plain and fused)', () => {
    enableBlasMatMul({ backends: ['wasm'] });
    const next = rng(41);
    const a = randTensor(next, [4, 16, 24]); // [batch, m, k]
    const b = randTensor(next, [24, 32]); // [k, n]
    const bias = randTensor(next, [32]);
    const step = () => {
      tf.tidy(() => {
        tf.matMul(a, b).dataSync();
        tf.fused.matMul({ a: tf.reshape(a, [64, 24]), b, bias, activation: 'relu' }).dataSync();
      });
    };
    for (let i = 0; i < 10; i++) step(); // warm up the allocator
    const { numTensors, numBytes } = tf.memory();
    const heapBytes = wasmHeap().length;
    const calls = blasMatMulStats().blas;
    for (let i = 0; i < 150; i++) step();
    expect(blasMatMulStats().blas - calls).toBe(300);
    expect(tf.memory().numTensors).toBe(numTensors);
    expect(tf.memory().numBytes).toBe(numBytes);
    expect(wasmHeap().length).toBe(heapBytes);
    tf.dispose([a, b, bias]);
  });

  it('stays correct when the wasm heap grows between calls and inside the output allocation', () => {
    enableBlasMatMul({ backends: ['wasm'] });
    const next = rng(42);
    const a = randTensor(next, [7, 5]);
    const b = randTensor(next, [5, 3]);
    disableBlasMatMul();
    const want = tf.tidy(() => tf.matMul(a, b).dataSync() as Float32Array);
    enableBlasMatMul({ backends: ['wasm'] });
    const heapBefore = wasmHeap().buffer;
    const filler = tf.zeros([wasmHeap().length / 4 + 1024]); // more than the whole heap: it must grow
    expect(wasmHeap().buffer).not.toBe(heapBefore); // the old ArrayBuffer is gone (detached)
    expect(relError(tf.tidy(() => tf.matMul(a, b).dataSync() as Float32Array), want)).toBeLessThan(1e-6);
    // Now an output bigger than the heap from small inputs (an outer product): the heap grows inside
    // the kernel's own output allocation, so the kernel must locate its inputs after allocating.
    const m = 1024;
    const n = wasmHeap().length / (4 * m) + 64;
    const col = randTensor(next, [m, 1]); // [m, k = 1]
    const row = randTensor(next, [1, n]); // [k = 1, n]
    const heapMid = wasmHeap().buffer;
    const out = tf.matMul(col, row); // [m, n]
    expect(wasmHeap().buffer).not.toBe(heapMid);
    const c = col.dataSync() as Float32Array;
    const r = row.dataSync() as Float32Array;
    const values = out.dataSync() as Float32Array;
    for (const [i, j] of [[0, 0], [m - 1, n - 1], [517, 3], [3, n - 7]]) {
      expect(Math.abs(values[i * n + j] - c[i] * r[j])).toBeLessThan(1e-6);
    }
    tf.dispose([a, b, filler, col, row, out]);
  });

  it('options.kernels switches each family: off ones are not registered, the others are, and disable removes all', () => {
    disableBlasMatMul();
    const status = enableBlasMatMul({ backends: ['wasm'], kernels: { gelu: false, softmax: false, nf4: false } });
    expect(status.backends).toEqual(['wasm']);
    const registered = (key: keyof typeof ACCEL_KERNELS): boolean => tf.getKernel(ACCEL_KERNELS[key], 'wasm') !== undefined;
    for (const [family, keys] of Object.entries(ACCEL_KERNEL_FAMILIES)) {
      const off = ['gelu', 'softmax', 'nf4'].includes(family);
      for (const key of keys) expect(registered(key), `${family}/${key}`).toBe(!off);
    }
    // a second call's switches take effect: gelu comes back, layernorm and the Identity swap go
    const identity = tf.getKernel(tf.Identity, 'wasm');
    enableBlasMatMul({ backends: ['wasm'], kernels: { layernorm: false, identity: false } });
    expect([registered('geluNew'), registered('maskedSoftmax'), registered('layerNorm'), registered('layerNormGrad')]).toEqual([true, true, false, false]);
    expect(tf.getKernel(tf.Identity, 'wasm')).not.toBe(identity);
    disableBlasMatMul();
    for (const key of Object.keys(ACCEL_KERNELS) as (keyof typeof ACCEL_KERNELS)[]) expect(registered(key), key).toBe(false);
    expect(() => enableBlasMatMul({ kernels: { gelu: 'no' as unknown as boolean } })).toThrow(/options\.kernels\.gelu is no; use a boolean/);
    expect(() => enableBlasMatMul({ kernels: { warp: false } as never })).toThrow(/options\.kernels\.warp is false; use a boolean for one of vocab, gelu/);
  });

  it('accelApi is the typed handle: the contract\'s kernel names and a sampler that picks the JS draw\'s token', () => {
    expect(accelApi.kernels).toBe(ACCEL_KERNELS);
    expect(accelApi.enableBlasMatMul).toBe(enableBlasMatMul);
    const sample = accelApi.nativeSampler();
    expect(sample).not.toBeNull();
    // p = [e, 1, e, e] / (1 + 3e), e = exp(−10) ≈ 4.5e-5: u = 1e-6 falls in token 0's share, 0.5 in token 1's
    const logits = Float32Array.from([0, 10, 0, 0]);
    expect(sample!(logits, 1, -Infinity, 0.5)).toBe(1);
    expect(sample!(logits, 1, -Infinity, 1e-6)).toBe(0);
    expect(sample!(logits, 1, 5, 1e-6)).toBe(1); // the threshold drops the small logits
    // a view on a SharedArrayBuffer is not plain memory: -1 (the caller samples in JS)
    expect(sample!(new Float32Array(new SharedArrayBuffer(16)), 1, -Infinity, 0.5)).toBe(-1);
  });

  it('rejects bad options with an error naming the option', () => {
    expect(() => enableBlasMatMul({ threads: 0 })).toThrow(AccelOptionsError);
    expect(() => enableBlasMatMul({ threads: 1.5 })).toThrow(/options\.threads is 1\.5/);
    expect(() => enableBlasMatMul({ backends: ['webgl' as 'wasm'] })).toThrow(/options\.backends has 'webgl'/);
  });

  it('sets the BLAS thread count from options.threads', () => {
    const status = enableBlasMatMul({ backends: ['wasm'], threads: 1 });
    expect(status.blas).toMatch(/OpenBLAS|Accelerate|CBLAS/);
    if (status.blas?.startsWith('OpenBLAS')) expect(status.threads).toBe(1);
    const restored = enableBlasMatMul({ threads: 2 });
    if (restored.blas?.startsWith('OpenBLAS')) expect(restored.threads).toBe(2);
  });
});
