/** Backend selection and the kernels CORE adds to the wasm backend, checked against the cpu backend. */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blasMatMulActive } from '../src/runtime/accel.js';
import { BackendError } from '../src/runtime/backend.js';
import { initBackend, initRuntime, runtimeOptions } from '../src/runtime/runtime.js';
import { runtimeOptionsFromEnv } from '../src/runtime/runtime-options.js';
import { unsortedSegmentSumHost } from '../src/runtime/unsorted-segment-sum.js';
import { maxAbsDiff } from './fixture-utils.js';

/** Runs `f` on a backend and returns its result as a flat host array plus shape. */
async function on(backend: 'wasm' | 'cpu', f: () => tf.Tensor): Promise<{ data: number[]; shape: number[] }> {
  await initBackend(backend);
  const t = f();
  const out = { data: Array.from(await t.data()), shape: t.shape };
  t.dispose();
  return out;
}

// The runtime this test process started with (test/setup-tfjs.ts: a whole-suite GRPOJS_ACCEL=0 run keeps it).
const suiteRuntime = runtimeOptionsFromEnv(process.env);
afterEach(async () => {
  await initRuntime({ ...suiteRuntime, log: () => {} });
});

/** Whether the optional @grpojs/accel addon is built in this checkout (it links the system BLAS). */
const ACCEL_BUILT = existsSync(join(dirname(fileURLToPath(import.meta.url)), '../../accel/build/Release/grpojs_accel.node'));

describe('initBackend', () => {
  it('picks wasm when no native tfjs-node is installed, and honours explicit names', async () => {
    expect(await initBackend()).toBe('wasm');
    expect(await initBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it('the runtime backend (GRPOJS_BACKEND) overrides the automatic choice; bad names and missing native packages are errors', async () => {
    expect((await initRuntime({ ...runtimeOptionsFromEnv({ GRPOJS_BACKEND: 'cpu' }), log: () => {} })).backend).toBe('cpu');
    expect(await initBackend()).toBe('cpu'); // the runtime's backend
    expect(() => runtimeOptionsFromEnv({ GRPOJS_BACKEND: 'cuda' })).toThrow(/GRPOJS_BACKEND: unknown backend "cuda"; use one of tensorflow, wasm, cpu/);
    await expect(initRuntime({ backend: 'cuda' as 'cpu' })).rejects.toThrow(/initRuntime: options\.backend: /);
    await expect(initBackend('cuda' as 'cpu')).rejects.toThrow(/initBackend\(name\): unknown backend "cuda"/);
    await initRuntime({ log: () => {} });
    await expect(initBackend('tensorflow')).rejects.toThrow(BackendError);
    await expect(initBackend('tensorflow')).rejects.toThrow(/tfjs-node-gpu/);
    expect(await initBackend()).toBe('wasm');
    // a backend that cannot start leaves the runtime as it was, not switched to options no backend runs
    await initRuntime({ backend: 'wasm', nativeDecode: false, log: () => {} });
    await expect(initRuntime({ backend: 'tensorflow', log: () => {} })).rejects.toThrow(BackendError);
    expect([runtimeOptions().backend, runtimeOptions().nativeDecode]).toEqual(['wasm', false]);
    expect(await initBackend()).toBe('wasm');
    await initRuntime({ log: () => {} });
  });
});

describe('UnsortedSegmentSum on wasm', () => {
  const x = (): tf.Tensor => tf.tensor3d(Array.from({ length: 5 * 3 * 2 }, (_, i) => Math.sin(i) * 3), [5, 3, 2]);
  const ids = (): tf.Tensor1D => tf.tensor1d([2, 0, 2, 3, 7], 'int32'); // 7 is out of range: dropped

  it('matches the cpu kernel (float32, out-of-range ids dropped)', async () => {
    const wasm = await on('wasm', () => tf.unsortedSegmentSum(x(), ids(), 4));
    const cpu = await on('cpu', () => tf.unsortedSegmentSum(x(), ids(), 4));
    expect(wasm.shape).toEqual([4, 3, 2]);
    expect(maxAbsDiff(wasm.data, cpu.data)).toBeLessThan(1e-6);
    expect(wasm.data.slice(6, 12)).toEqual(new Array(6).fill(0)); // segment 1 is empty
  });

  it('matches the cpu kernel for int32 values', async () => {
    const make = (): tf.Tensor => tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4, 5, 6], 'int32'), tf.tensor1d([1, 0, 1, 1, 2, 0], 'int32'), 3);
    const wasm = await on('wasm', make);
    expect(wasm.data).toEqual((await on('cpu', make)).data);
    expect(wasm.data).toEqual([8, 8, 5]);
  });

  it('makes the embedding (gather) gradient work on wasm, equal to cpu', async () => {
    const grad = (): tf.Tensor => {
      const table = tf.tensor2d(Array.from({ length: 6 * 4 }, (_, i) => i / 10), [6, 4]);
      const tokens = tf.tensor1d([1, 4, 1, 0, 5, 1], 'int32');
      const weights = tf.tensor2d(Array.from({ length: 6 * 4 }, (_, i) => Math.cos(i)), [6, 4]);
      return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tokens), weights)))(table);
    };
    const wasm = await on('wasm', grad);
    expect(maxAbsDiff(wasm.data, (await on('cpu', grad)).data)).toBeLessThan(1e-6);
  });

  it('host helper: empty ids give zeros of the right shape', () => {
    const { values, shape } = unsortedSegmentSumHost([], [0, 3], [], 1, 2, 'float32');
    expect(shape).toEqual([2, 3]);
    expect(Array.from(values)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('BLAS matmul (optional @grpojs/accel)', () => {
  /** A small matmul on the current backend, as host numbers (initBackend is not called again). */
  const product = () => {
    const t = tf.tidy(() => tf.matMul(tf.linspace(-1, 1, 6 * 5).reshape([6, 5]), tf.linspace(0, 2, 5 * 4).reshape([5, 4])));
    const data = Array.from(t.dataSync());
    t.dispose();
    return data;
  };

  it(`on by default when the addon is built (${ACCEL_BUILT ? 'built here' : 'not built here'}), off with accel: false or GRPOJS_ACCEL=0; said once per change`, async () => {
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    await initRuntime({ backend: 'wasm', log: () => {} }); // a known start: accel on
    await initRuntime({ backend: 'wasm', accel: false, log });
    expect(lines).toEqual(['matmul: tfjs kernels (BLAS matmul off: accel: false)']);
    await initBackend('wasm', { log });
    expect(lines).toHaveLength(1); // unchanged: not said again
    expect(blasMatMulActive('wasm')).toBe(false);
    const plain = product();

    await initRuntime({ backend: 'wasm', log });
    await initBackend('wasm', { log });
    expect(lines).toHaveLength(2); // said once
    if (ACCEL_BUILT) {
      expect(lines[1]).toMatch(/^matmul: BLAS on wasm and cpu \(.*threads/);
      expect(blasMatMulActive('wasm')).toBe(true);
    } else {
      expect(lines[1]).toMatch(/^matmul: tfjs kernels \(/);
    }
    const withDefault = product();
    expect(maxAbsDiff(plain, withDefault)).toBeLessThan(1e-5);

    await initRuntime({ ...runtimeOptionsFromEnv({ GRPOJS_ACCEL: '0' }), backend: 'wasm', log });
    expect(lines.at(-1)).toBe('matmul: tfjs kernels (BLAS matmul off: accel: false)');
    expect(blasMatMulActive('wasm')).toBe(false);
    await initRuntime({ backend: 'wasm', log });
    expect(blasMatMulActive('wasm')).toBe(ACCEL_BUILT);
    await expect(initBackend('wasm', { accel: false } as never)).rejects.toThrow(/initBackend: options\.accel is not an option of initBackend; .*initRuntime\(\{ accel \}\)/);
  });
});
