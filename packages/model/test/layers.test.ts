/** DenseConv1D, LMHead (both storage orientations), random init, and input validation errors. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { DenseConv1D, DenseShapeError, frozenMatMul } from '../src/ops/dense.js';
import { GPT2InputError, GPT2Model } from '../src/architectures/gpt2/model.js';
import { LMHead } from '../src/ops/lm-head.js';
import { LogProbsError, tokenLogProbs } from '../src/inference/logprobs.js';
import { randomGPT2Tensors } from '../src/architectures/gpt2/random-init.js';
import { maxAbsDiff } from './fixture-utils.js';

beforeAll(async () => {
  await initBackend();
});

const host = (shape: number[], seed: number) => ({
  shape,
  data: tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array,
});

describe('DenseConv1D and frozenMatMul', () => {
  it('y = x·W + b, and the custom input gradient equals autograd', () => {
    const w = host([5, 3], 1);
    const b = host([3], 2);
    const layer = new DenseConv1D(w, b, { name: 'h.0.mlp.c_fc' });
    const x = tf.randomNormal([4, 5], 0, 1, 'float32', 3) as tf.Tensor2D;
    const wT = tf.tensor2d(w.data, [5, 3]);
    const expected = tf.add(tf.matMul(x, wT), tf.tensor1d(b.data));
    expect(maxAbsDiff(layer.apply(x, { training: false }).dataSync(), expected.dataSync())).toBeLessThan(1e-6);
    const dy = tf.randomNormal([4, 3], 0, 1, 'float32', 4);
    const g1 = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(frozenMatMul(a as tf.Tensor2D, wT), dy)))(x);
    const g2 = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a as tf.Tensor2D, wT), dy)))(x);
    expect(maxAbsDiff(g1.dataSync(), g2.dataSync())).toBeLessThan(1e-5);
    expect(layer.weightBytes()).toBe(4 * (15 + 3));
    expect(layer.variables()).toEqual([]);
    const trainable = new DenseConv1D(w, b, { trainable: true, name: 't' });
    expect(trainable.variables().map((v) => v.shape)).toEqual([[5, 3], [3]]);
    expect(() => new DenseConv1D(w, host([4], 5), { name: 'h.1.attn.c_proj' })).toThrow(/h\.1\.attn\.c_proj.*\[3\]/);
    expect(() => new DenseConv1D(host([5], 1), b)).toThrow(DenseShapeError);
    layer.dispose();
    trainable.dispose();
  });
});

describe('LMHead', () => {
  it('row and column storage agree on logits, gradients, products and lookups', () => {
    const m = host([11, 4], 6);
    const rows = new LMHead(m, false);
    const cols = new LMHead(m, true);
    const h = tf.randomNormal([3, 4], 0, 1, 'float32', 7) as tf.Tensor2D;
    const d = tf.randomNormal([3, 11], 0, 1, 'float32', 8) as tf.Tensor2D;
    const ids = tf.tensor1d([10, 0, 3], 'int32');
    expect(maxAbsDiff(rows.logits(h).dataSync(), cols.logits(h).dataSync())).toBeLessThan(1e-5);
    const grad = (head: LMHead) => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(head.logits(a as tf.Tensor2D), d)))(h).dataSync();
    expect(maxAbsDiff(grad(rows), grad(cols))).toBeLessThan(1e-5);
    expect(maxAbsDiff(rows.timesWeight(d).dataSync(), cols.timesWeight(d).dataSync())).toBeLessThan(1e-5);
    const expectedRows = [10, 0, 3].flatMap((id) => Array.from(m.data.slice(4 * id, 4 * id + 4)));
    expect(Array.from(cols.lookup(ids).dataSync())).toEqual(expectedRows);
    expect(maxAbsDiff(rows.lookup(ids).dataSync(), cols.lookup(ids).dataSync())).toBe(0);
    expect(Array.from(cols.hostWeight().data)).toEqual(Array.from(m.data));
    rows.dispose();
    cols.dispose();
  });
});

describe('randomGPT2Tensors', () => {
  const config = makeGPT2Config({ vocabSize: 50, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2 });

  it('is deterministic per seed with the documented spreads', () => {
    const a = randomGPT2Tensors(config, 9);
    const b = randomGPT2Tensors(config, 9);
    const c = randomGPT2Tensors(config, 10);
    expect(Array.from(a.get('h.1.mlp.c_fc.weight')!.data)).toEqual(Array.from(b.get('h.1.mlp.c_fc.weight')!.data));
    expect(maxAbsDiff(a.get('wte.weight')!.data, c.get('wte.weight')!.data)).toBeGreaterThan(0.01);
    const std = (x: Float32Array, center = 0) => Math.sqrt(x.reduce((s, v) => s + (v - center) ** 2, 0) / x.length);
    expect(std(a.get('wte.weight')!.data)).toBeCloseTo(0.02, 2);
    expect(std(a.get('h.0.attn.c_proj.weight')!.data)).toBeCloseTo(0.02 / Math.sqrt(4), 2);
    expect(std(a.get('ln_f.weight')!.data, 1)).toBeCloseTo(0.1, 1);
    expect(() => randomGPT2Tensors(config, -1)).toThrow(/seed/);
  });
});

describe('input validation', () => {
  const config = makeGPT2Config({ vocabSize: 32, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2, eosTokenId: 31 });
  const model = (): GPT2Model => new GPT2Model(config, randomGPT2Tensors(config, 1));

  it('forward names the bad argument', () => {
    const m = model();
    expect(() => m.forward([[1, 2], [3]])).toThrow(/row 1 has length 1, expected 2/);
    expect(() => m.forward([[1, 40]])).toThrow(GPT2InputError);
    expect(() => m.forward([[1, 2]], { attentionMask: [[1]] })).toThrow(/attentionMask must be \[1, 2\]/);
    expect(() => m.forward([[1, 2]], { positionIds: [[0, 8]] })).toThrow(/positionIds/);
    expect(() => m.createCache(1, 9)).toThrow(/n_positions 8/);
    m.dispose();
  });

  it('tokenLogProbs names the bad argument; empty completions give [rows, 0]', () => {
    const m = model();
    expect(() => tokenLogProbs(m, [[1]], [[2], [3]])).toThrow(LogProbsError);
    expect(() => tokenLogProbs(m, [[]], [[2]])).toThrow(/row 0 is empty/);
    expect(() => tokenLogProbs(m, [[1]], [[2]], { temperature: 0 })).toThrow(/temperature/);
    expect(() => tokenLogProbs(m, [[1]], [[2]], { chunkSize: 0 })).toThrow(/chunkSize/);
    expect(() => tokenLogProbs(m, [[1], [2]], [[2], [3, 32]])).toThrow(/completionIds row 1 position 1 holds 32/);
    expect(() => tokenLogProbs(m, [[1, 2, 3, 4, 5]], [[2, 3, 4, 5]])).toThrow(/n_positions 8/);
    const empty = tokenLogProbs(m, [[1], [2]], [[], []], { withEntropy: true });
    expect(empty.logProbs.shape).toEqual([2, 0]);
    expect(empty.entropy!.shape).toEqual([2, 0]);
    m.dispose();
  });
});
