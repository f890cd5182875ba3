/**
 * The embedding lookups (lm-head.ts): gatherRows and the transposed head's column lookup equal
 * tf.gather bit for bit, with @grpojs/accel's native gathers when active and tfjs' otherwise;
 * no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { gatherRows, LMHead } from '../src/ops/lm-head.js';

beforeAll(async () => {
  await initBackend();
});

describe('embedding lookups', () => {
  it('gatherRows and LMHead.lookup (both layouts) equal tf.gather, repeated and edge ids', () => {
    const [R, C] = [97, 13];
    const host = { shape: [R, C] as [number, number], data: tf.randomNormal([R, C], 0, 1, 'float32', 9).dataSync() as Float32Array };
    const table = tf.tensor2d(host.data, [R, C]);
    const ids = tf.tensor1d([96, 0, 5, 5, 40], 'int32');
    const [rows, cols] = [new LMHead(host, false), new LMHead(host, true)];
    const want = Array.from(tf.gather(table, ids).dataSync());
    const before = tf.memory().numTensors;
    const got = [gatherRows(table, ids), rows.lookup(ids), cols.lookup(ids)];
    expect(tf.memory().numTensors).toBe(before + 3);
    for (const g of got) expect(Array.from(g.dataSync())).toEqual(want);
    tf.dispose([table, ids, ...got]);
    rows.dispose();
    cols.dispose();
  });
});
