// The zero-copy Identity on wasm: clones (and the tensors tfjs keeps for gradients) share the
// data with a reference count, stay valid after the original is disposed, leak nothing, and the
// copying kernel comes back on disable.
import { afterAll, describe, expect, it } from 'vitest';

import { disableBlasMatMul, enableBlasMatMul } from '../src/index.js';
import { addonBuilt, skipNote, tf } from './helpers.js';

type RefCounted = { refCount(id: tf.DataId): number; wasm: { HEAPU8: Uint8Array }; dataIdMap: { get(id: tf.DataId): { memoryOffset: number } } };

describe.skipIf(!addonBuilt)(`zero-copy Identity on wasm${skipNote}`, () => {
  afterAll(() => {
    disableBlasMatMul();
  });

  it('tf.clone shares the buffer (refCount 2), survives disposing the original, and a gradient through a saved tensor is right', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    enableBlasMatMul({ backends: ['wasm'] });
    const backend = tf.backend() as unknown as RefCounted;
    const x = tf.tensor2d([1, -2, 3, 4.5, 5, 6], [2, 3]);
    const before = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes };
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    expect(backend.refCount(x.dataId)).toBe(2);
    expect(tf.memory().numTensors).toBe(before.tensors + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, -2, 3, 4.5, 5, 6]);
    expect(backend.refCount(y.dataId)).toBe(1);
    // Square saves its input for the gradient (an Identity): d/dx Σ x² = 2x
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.square(a)))(y);
    expect(Array.from(g.dataSync())).toEqual([2, -4, 6, 9, 10, 12]);
    tf.dispose([y, g]);
    expect(tf.memory().numTensors).toBe(before.tensors - 1);

    disableBlasMatMul();
    const z = tf.tensor1d([7, 8]);
    const copy = tf.clone(z);
    expect(backend.dataIdMap.get(copy.dataId).memoryOffset).not.toBe(backend.dataIdMap.get(z.dataId).memoryOffset);
    tf.dispose([z, copy]);
  });
});
