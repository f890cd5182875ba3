/**
 * AdamW.stepOrRollBack: an update that leaves a weight NaN/Inf or exploded (or a moment NaN/Inf)
 * is undone bit for bit — parameters, both moments and the step count — so the next update runs
 * as if the bad one never happened; and AdamW's hyper-parameters are checked as torch's are.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GRPOConfigError } from '../src/errors.js';
import { AdamW, type AdamWOptions } from '../src/optimizer.js';
import { findBadTensor } from '../src/weight-check.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const options: AdamWOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 };
const init = [
  [0.5, -0.25, 0.125, 1],
  [0, 0, 0.75],
];

/** Two variables and an AdamW over them, after `steps` ordinary updates. */
function setup(name: string, steps = 2) {
  const vars = init.map((v, i) => tf.variable(tf.tensor1d(v), true, `${name}${i}`));
  const opt = new AdamW(vars, options);
  for (let k = 0; k < steps; k++) update(opt, [[0.1 * (k + 1), -0.2, 0.3, 0], [0.05, -0.5, 1]], 1e-2);
  return { vars, opt };
}

function update(opt: AdamW, grads: number[][], lr: number): string | null {
  const g = grads.map((x) => tf.tensor1d(x));
  try {
    return opt.stepOrRollBack(g, lr);
  } finally {
    g.forEach((t) => t.dispose());
  }
}

/** Every bit of the parameters and the optimizer state (NaN-safe, -0 ≠ 0). */
function bits(vars: tf.Variable[], opt: AdamW): { step: number; words: number[][] } {
  const state = opt.state();
  const words = [...vars.map((v) => v.dataSync() as Float32Array), ...state.variables.flatMap((s) => [s.m, s.v])].map((a) => Array.from(new Uint32Array(a.slice().buffer)));
  return { step: state.step, words };
}

function dispose(vars: tf.Variable[], opt: AdamW): void {
  opt.dispose();
  vars.forEach((v) => v.dispose());
}

describe('AdamW.stepOrRollBack', () => {
  it('keeps a good update, identical to step()', () => {
    const a = setup('good-a');
    const b = setup('good-b');
    expect(update(a.opt, [[1, 2, 3, 4], [5, 6, 7]], 1e-3)).toBeNull();
    const g = [tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([5, 6, 7])];
    b.opt.step(g, 1e-3);
    g.forEach((t) => t.dispose());
    expect(bits(a.vars, a.opt)).toEqual(bits(b.vars, b.opt));
    expect(a.opt.stepCount).toBe(3);
    dispose(a.vars, a.opt);
    dispose(b.vars, b.opt);
  });

  it('rolls back an update that makes a weight NaN/Inf, bit for bit, and the next update continues as if it never happened', () => {
    const a = setup('nan-a');
    const b = setup('nan-b'); // never sees the bad update
    const before = bits(a.vars, a.opt);
    const tensorsBefore = tf.memory().numTensors;
    // lr / (1 − β1^3) = 3.7e38 overflows float32: the step size is Inf (and 0 · Inf = NaN where m = 0)
    const bad = update(a.opt, [[1, 2, 3, 4], [5, 6, 7]], 1e38);
    expect(bad).toMatch(/"nan-a0" holds NaN\/Inf/);
    expect(bits(a.vars, a.opt)).toEqual(before);
    expect(a.opt.stepCount).toBe(2);
    expect(tf.memory().numTensors).toBe(tensorsBefore); // the snapshot is freed
    expect(update(a.opt, [[1, -1, 1, -1], [2, 0, -2]], 1e-2)).toBeNull();
    expect(update(b.opt, [[1, -1, 1, -1], [2, 0, -2]], 1e-2)).toBeNull();
    expect(bits(a.vars, a.opt)).toEqual(bits(b.vars, b.opt));
    dispose(a.vars, a.opt);
    dispose(b.vars, b.opt);
  });

  it('rolls back an exploded update: finite weights whose squared L2 norm overflows float32', () => {
    const { vars, opt } = setup('big');
    const before = bits(vars, opt);
    // step size 1e37 / (1 − 0.9^3) ≈ 3.7e37: every weight moves by ~1e37, finite, but its square is not
    const bad = update(opt, [[1, 2, 3, 4], [5, 6, 7]], 1e37);
    expect(bad).toMatch(/"big0" exploded: its squared L2 norm overflows float32/);
    expect(bits(vars, opt)).toEqual(before);
    dispose(vars, opt);
  });

  it('rolls back an update whose second moment overflows (v = β2·v + (1 − β2)·g² = Inf) though the weights stay finite', () => {
    const { vars, opt } = setup('v');
    const before = bits(vars, opt);
    const bad = update(opt, [[1e20, 0, 0, 0], [0, 0, 0]], 1e-2);
    expect(bad).toMatch(/"v0\/adam_v" holds NaN\/Inf/);
    expect(bits(vars, opt)).toEqual(before);
    dispose(vars, opt);
  });

  it('a shape error part-way through the update leaves nothing changed', () => {
    const { vars, opt } = setup('shape');
    const before = bits(vars, opt);
    expect(() => update(opt, [[1, 2, 3, 4], [1, 2]], 1e-2)).toThrow(/gradient 1 has shape \[2\] but variable "shape1" is \[3\]/);
    expect(bits(vars, opt)).toEqual(before);
    dispose(vars, opt);
  });

  it('checks hyper-parameters as torch.optim.AdamW does (betas in [0, 1), weight decay >= 0, lr >= 0), with epsilon a normal float32', () => {
    const v = [tf.variable(tf.zeros([2]), true, 'hp')];
    const make = (o: Partial<AdamWOptions>) => () => new AdamW(v, { ...options, ...o }).dispose();
    expect(make({ beta2: 1 })).toThrow(GRPOConfigError);
    expect(make({ beta2: 1 })).toThrow(/beta2 must be in \[0, 1\), got 1 .*adamBeta2/);
    expect(make({ beta1: -0.1 })).toThrow(/beta1 must be in \[0, 1\)/);
    expect(make({ epsilon: 0 })).toThrow(/epsilon must be in \[1\.1754943508222875e-38, /);
    expect(make({ epsilon: 1e-40 })).toThrow(/epsilon must be in/);
    expect(make({ weightDecay: -1 })).toThrow(/weightDecay must be a finite number >= 0/);
    expect(make({ beta1: 0, beta2: 0, epsilon: 1.1754943508222875e-38, weightDecay: 0 })).not.toThrow();
    const opt = new AdamW(v, options);
    const g = [tf.ones([2])];
    expect(() => opt.step(g, -1)).toThrow(/lr must be a finite number >= 0, got -1/);
    expect(() => opt.step(g, Number.NaN)).toThrow(/lr must be/);
    expect(opt.stepCount).toBe(0);
    g[0].dispose();
    opt.dispose();
    v[0].dispose();
  });
});

describe('findBadTensor', () => {
  it('names the first tensor with NaN/Inf, or (when asked) whose squared norm overflows float32; null when all pass', () => {
    const ok = tf.tensor1d([1, -2, 3]);
    const inf = tf.tensor1d([1, Number.POSITIVE_INFINITY]);
    const nan = tf.tensor1d([Number.NaN, 0]);
    const big = tf.tensor1d([2e19, 0]); // finite; 4e38 > FLOAT32_MAX
    expect(findBadTensor([])).toBeNull();
    expect(findBadTensor([{ name: 'ok', value: ok, norm: true }, { name: 'big', value: big }])).toBeNull();
    expect(findBadTensor([{ name: 'ok', value: ok }, { name: 'inf', value: inf }])).toBe('"inf" holds NaN/Inf');
    expect(findBadTensor([{ name: 'nan', value: nan }])).toBe('"nan" holds NaN/Inf');
    expect(findBadTensor([{ name: 'big', value: big, norm: true }])).toMatch(/^"big" exploded/);
    [ok, inf, nan, big].forEach((t) => t.dispose());
  });
});
