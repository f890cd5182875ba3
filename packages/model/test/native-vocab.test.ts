/**
 * headLogProbs through @grpojs/accel's native log-softmax kernel against the tfjs path (the same
 * function with the kernel unregistered): log-probs, entropies and gradients, and no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { DenseConv1D } from '../src/ops/dense.js';
import { GPT2Model } from '../src/architectures/gpt2/model.js';
import { headLogProbs } from '../src/inference/logprobs.js';
import { randomGPT2Tensors } from '../src/architectures/gpt2/random-init.js';
import { maxAbsDiff } from './fixture-utils.js';
import { nativeOff, withoutKernels } from './native-helpers.js';

const KERNEL = 'GrpojsLogSoftmaxGather';
const ACCEL_OFF = process.env.GRPOJS_ACCEL === '0';
const skip = nativeOff();
if (skip) console.warn(`native-vocab tests skipped: ${ACCEL_OFF ? 'GRPOJS_ACCEL=0' : 'the @grpojs/accel addon is not built'}`);

beforeAll(async () => {
  await initBackend();
});

/** [log p(target), entropy] per row, interleaved, in float64 from float32 logits [n, V]. */
function float64LogProbs(logits: Float32Array | Int32Array | Uint8Array, targets: ArrayLike<number>, V: number, temperature: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < targets.length; i++) {
    const z = Array.from(logits.subarray(i * V, (i + 1) * V), (x) => x / temperature);
    const max = z.reduce((a, b) => Math.max(a, b));
    const lse = max + Math.log(z.reduce((a, v) => a + Math.exp(v - max), 0));
    out.push(z[targets[i]] - lse, -z.reduce((a, v) => a + Math.exp(v - lse) * (v - lse), 0));
  }
  return out;
}

describe.skipIf(skip)('headLogProbs with the native log-softmax kernel', () => {
  // A real vocabulary size (50257: rows longer than the kernel's 1024-float blocks, odd length).
  const config = makeGPT2Config({ vocabSize: 50257, nEmbd: 32, nLayer: 1, nHead: 2, nPositions: 16 });
  let model: GPT2Model;
  beforeAll(() => {
    model = new GPT2Model(config, randomGPT2Tensors(config, 3), { makeConv1D: (n, w, b) => new DenseConv1D(w, b, { name: n }) });
  });
  afterAll(() => model.dispose());

  it('is registered on the current backend once initBackend enabled the accel', () => {
    expect(tf.getKernel(KERNEL, tf.getBackend())).toBeDefined();
  });

  it('log-probs and entropies match a float64 reference within 2e-6 (the tfjs path: 1e-4)', () => {
    // Spread the hidden states so the logits span several units, as a trained model's do.
    const h = tf.mul(tf.randomNormal([37, 32], 0, 1, 'float32', 5), 8) as tf.Tensor2D;
    const targets = tf.tensor1d(Array.from({ length: 37 }, (_, i) => (i * 7919) % 50257), 'int32');
    const logits = model.lmHead.logits(h);
    for (const temperature of [0.7, 1, 1.3]) {
      const exact = float64LogProbs(logits.dataSync(), targets.dataSync(), 50257, temperature);
      const native = headLogProbs(h, targets, model, temperature, true);
      const reference = withoutKernels([KERNEL], () => headLogProbs(h, targets, model, temperature, true));
      expect(maxAbsDiff(native.dataSync(), exact)).toBeLessThan(2e-6);
      // The tfjs path sums 50257 exps serially in float32, so it is the less exact of the two.
      expect(maxAbsDiff(reference.dataSync(), exact)).toBeLessThan(1e-4);
      const plain = headLogProbs(h, targets, model, temperature, false);
      expect(maxAbsDiff(plain.dataSync(), exact.filter((_, i) => i % 2 === 0))).toBeLessThan(2e-6);
      tf.dispose([native, reference, plain]);
    }
    tf.dispose([h, targets, logits]);
  });

  it('the gradient w.r.t. the hidden states matches the tfjs path, and no tensor leaks', () => {
    const h = tf.mul(tf.randomNormal([19, 32], 0, 1, 'float32', 6), 4) as tf.Tensor2D;
    const targets = tf.tensor1d(Array.from({ length: 19 }, (_, i) => (i * 104729) % 50257), 'int32');
    const dy = tf.randomNormal([19, 2], 0, 1, 'float32', 7);
    const grad = () => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(headLogProbs(x as tf.Tensor2D, targets, model, 0.9, true), dy)))(h);
    const before = tf.memory().numTensors;
    const native = grad();
    expect(tf.memory().numTensors).toBe(before + 1);
    const reference = withoutKernels([KERNEL], grad);
    const scale = Math.max(...Array.from(reference.dataSync(), Math.abs));
    expect(maxAbsDiff(native.dataSync(), reference.dataSync()) / scale).toBeLessThan(1e-5);
    tf.dispose([native, reference, h, targets, dy]);
  });
});
