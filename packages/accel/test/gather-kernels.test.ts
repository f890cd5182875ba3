// The column and row gathers (native/napi/gather.cc) on wasm and cpu against tf.gather along axis 1 and
// 0, and their argument checks (an id outside the table throws and leaks nothing).
import { afterAll, describe, expect, it } from 'vitest';

import { disableBlasMatMul, enableBlasMatMul, GATHER_COLUMNS, GATHER_ROWS } from '../src/index.js';
import { addonBuilt, randTensor, rng, skipNote, tf } from './helpers.js';

describe.skipIf(!addonBuilt)(`${GATHER_COLUMNS}${skipNote}`, () => {
  afterAll(() => {
    disableBlasMatMul();
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`on ${backend}: columns equal tf.gather(x, ids, 1)ᵀ and rows tf.gather(x, ids) bit for bit (odd sizes, repeated and edge ids), errors name the id`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      enableBlasMatMul({ backends: [backend] });
      const next = rng(11);
      for (const [R, V, ids] of [[1, 1, [0]], [5, 17, [16, 0, 3, 3, 9]], [37, 1001, Array.from({ length: 61 }, (_, i) => (i * 389) % 1001)], [4, 9, []]] as const) {
        const x = randTensor(next, [R, V]);
        const idx = tf.tensor1d([...ids], 'int32');
        const before = tf.memory().numTensors;
        const got = tf.engine().runKernel(GATHER_COLUMNS, { x, indices: idx }) as tf.Tensor;
        expect(tf.memory().numTensors).toBe(before + 1);
        expect(got.shape).toEqual([ids.length, R]);
        const want = tf.transpose(tf.gather(x, idx, 1));
        expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        tf.dispose([x, idx, got, want]);
      }
      const x = tf.zeros([3, 7]);
      const before = tf.memory().numTensors;
      expect(() => tf.engine().runKernel(GATHER_COLUMNS, { x, indices: tf.tensor1d([2, 7], 'int32') })).toThrow(/ids\[1\] = 7 is outside \[0, 7\)/);
      expect(() => tf.engine().runKernel(GATHER_COLUMNS, { x, indices: tf.tensor1d([-1], 'int32') })).toThrow(/ids\[0\] = -1/);
      expect(tf.memory().numTensors).toBe(before + 2); // the two index tensors; no output left behind
      expect(() => tf.engine().runKernel(GATHER_COLUMNS, { x, indices: tf.tensor1d([1], 'float32') })).toThrow(/indices must be int32 \[n\]/);
      for (const [R, C, ids] of [[1, 1, [0]], [17, 5, [16, 0, 3, 3, 9]], [1024, 37, Array.from({ length: 61 }, (_, i) => (i * 389) % 1024)], [4, 9, []]] as const) {
        const table = randTensor(next, [R, C]);
        const idx = tf.tensor1d([...ids], 'int32');
        const got = tf.engine().runKernel(GATHER_ROWS, { x: table, indices: idx }) as tf.Tensor;
        expect(got.shape).toEqual([ids.length, C]);
        const want = tf.gather(table, idx);
        expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        tf.dispose([table, idx, got, want]);
      }
      const rowsBefore = tf.memory().numTensors;
      expect(() => tf.engine().runKernel(GATHER_ROWS, { x, indices: tf.tensor1d([3], 'int32') })).toThrow(/GrpojsGatherRows: gatherRows: ids\[0\] = 3 is outside \[0, 3\)/);
      expect(tf.memory().numTensors).toBe(rowsBefore + 1);
      disableBlasMatMul();
      expect(tf.getKernel(GATHER_COLUMNS, backend)).toBeUndefined();
      expect(tf.getKernel(GATHER_ROWS, backend)).toBeUndefined();
    });
  }
});
