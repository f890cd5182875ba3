import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm, globalNorm, GradientAccumulator } from '../src/gradients.js';
import { AdamW } from '../src/optimizer.js';

const ref = JSON.parse(readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8')).adamw;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('AdamW + global-norm clipping (torch.optim.AdamW reference)', () => {
  it('matches torch for 4 steps with weight decay, clipping and a changing lr; state round-trips', () => {
    const vars = ref.init.map((v: number[], i: number) => tf.variable(tf.tensor(v, ref.shapes[i]), true, `p${i}`));
    const opt = new AdamW(vars, { beta1: ref.beta1, beta2: ref.beta2, epsilon: ref.eps, weightDecay: ref.weightDecay });
    const before = tf.memory().numTensors;
    for (const step of ref.steps) {
      const grads = step.grads.map((g: number[], i: number) => tf.tensor(g, ref.shapes[i]));
      const norm = globalNorm(grads);
      expect(norm).toBeCloseTo(step.gradNorm, 4);
      const clipped = clipByGlobalNorm(grads, norm, ref.maxGradNorm);
      opt.step(clipped, step.lr);
      [...grads, ...clipped].forEach((t) => t.dispose());
      vars.forEach((v: tf.Variable, i: number) => {
        const got = v.dataSync();
        step.params[i].forEach((p: number, j: number) => expect(Math.abs(got[j] - p)).toBeLessThan(2e-6));
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    // a fresh optimizer loaded from the state continues identically
    const state = opt.state();
    expect(state.step).toBe(4);
    const copy = vars.map((v: tf.Variable, i: number) => tf.variable(v.clone(), true, `q${i}`));
    const opt2 = new AdamW(copy, { beta1: ref.beta1, beta2: ref.beta2, epsilon: ref.eps, weightDecay: ref.weightDecay });
    opt2.loadState(state);
    const g = ref.shapes.map((s: number[]) => tf.ones(s));
    opt.step(g, 0.01);
    opt2.step(g, 0.01);
    expect(Array.from(copy[0].dataSync())).toEqual(Array.from(vars[0].dataSync()));
    g.forEach((t: tf.Tensor) => t.dispose());
    const live = tf.memory().numTensors;
    opt2.dispose();
    expect(tf.memory().numTensors).toBe(live - 4); // m and v of 2 variables, nothing left behind
    expect(() => opt2.loadState({ step: 1, variables: [] })).toThrow(/has 0 variables but the model has 2/);
  });

  it('maxGradNorm 0 leaves gradients unclipped; accumulation sums', () => {
    const acc = new GradientAccumulator();
    acc.add([tf.tensor([3, 4])]);
    acc.add([tf.tensor([3, 4])]);
    expect(Array.from(acc.value![0].dataSync())).toEqual([6, 8]);
    expect(globalNorm(acc.value!)).toBeCloseTo(10, 6);
    expect(Array.from(clipByGlobalNorm(acc.value!, 10, 0)[0].dataSync())).toEqual([6, 8]);
    const c = clipByGlobalNorm(acc.value!, 10, 1)[0].dataSync();
    expect(c[0]).toBeCloseTo(0.6, 5);
    acc.dispose();
  });
});
