/**
 * AdamW at its edges: the moment variables it registers, a learning rate of 0, gradient lists and
 * checkpoint states that do not fit the variables, and the epsilon range check.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, GRPOConfigError, ShapeError } from '../src/errors.js';
import { AdamW, type AdamWOptions } from '../src/optimizer.js';
import { FLOAT32_MAX } from '../src/weight-check.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const options: AdamWOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1 };

/** Runs `body` with two fresh variables named `<name>0`, `<name>1` and an AdamW over them. */
function withAdamW(name: string, body: (vars: tf.Variable[], opt: AdamW) => void, o: AdamWOptions = options): void {
  const vars = [tf.variable(tf.tensor1d([0.5, -0.25]), true, `${name}0`), tf.variable(tf.tensor2d([[1, 2]]), true, `${name}1`)];
  const opt = new AdamW(vars, o);
  try {
    body(vars, opt);
  } finally {
    opt.dispose();
    vars.forEach((v) => v.dispose());
  }
}

describe('AdamW edges', () => {
  it('registers its moments as non-trainable variables named after the parameter', () => {
    withAdamW('moments', () => {
      const registered = tf.engine().registeredVariables;
      for (const name of ['moments0/adam_m', 'moments0/adam_v', 'moments1/adam_m', 'moments1/adam_v']) {
        expect(registered[name], name).toBeDefined();
        expect(registered[name].trainable, name).toBe(false);
      }
    });
  });

  it('accepts a learning rate of 0 (warmup step 0) and leaves the parameters as they were', () => {
    withAdamW('lr0', (vars, opt) => {
      const grads = [tf.tensor1d([1, -1]), tf.tensor2d([[0.5, 0.5]])];
      opt.step(grads, 0);
      grads.forEach((g) => g.dispose());
      expect(Array.from(vars[0].dataSync())).toEqual([0.5, -0.25]);
      expect(Array.from(vars[1].dataSync())).toEqual([1, 2]);
      expect(opt.stepCount).toBe(1);
    });
  });

  it('refuses a gradient list of another length, naming both counts', () => {
    withAdamW('count', (_vars, opt) => {
      const g = tf.tensor1d([1, 1]);
      expect(() => opt.step([g], 1e-3)).toThrow(ShapeError);
      expect(() => opt.step([g], 1e-3)).toThrow('AdamW.step: got 1 gradients for 2 variables.');
      g.dispose();
      expect(opt.stepCount).toBe(0);
    });
  });

  it('refuses a checkpoint state whose shapes differ, naming the variable, and loads one that fits', () => {
    withAdamW('load', (_vars, opt) => {
      const state = opt.state();
      const wrong = { ...state, variables: state.variables.map((v, i) => (i === 1 ? { ...v, shape: [2, 1] } : v)) };
      expect(() => opt.loadState(wrong)).toThrow(CheckpointError);
      expect(() => opt.loadState(wrong)).toThrow('optimizer state for "load1" has shape [2,1] but variable "load1" is [1,2]');
      opt.loadState({ ...state, step: 7 });
      expect(opt.stepCount).toBe(7);
    });
  });

  it('accepts epsilon up to the largest float32 and refuses more, listing every bad field', () => {
    withAdamW('eps-max', (_vars, opt) => expect(opt.stepCount).toBe(0), { ...options, epsilon: FLOAT32_MAX });
    expect(() => new AdamW([], { ...options, epsilon: Number.POSITIVE_INFINITY })).toThrow(GRPOConfigError);
    expect(() => new AdamW([], { ...options, epsilon: 1e39, weightDecay: -1 })).toThrow(
      `AdamW: epsilon must be in [1.1754943508222875e-38, ${FLOAT32_MAX}], got 1e+39; weightDecay must be a finite number >= 0, got -1 (config fields adamBeta1, adamBeta2, adamEpsilon, weightDecay).`,
    );
  });
});
