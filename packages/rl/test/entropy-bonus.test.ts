/**
 * TRL 1.9's entropy bonus against an independent float64 PyTorch implementation of TRL's
 * _compute_loss (fixtures/make_entropy_bonus_fixtures.py → entropy-bonus.json): for each loss
 * type's normalizer and with the top_entropy_quantile selection, the micro-batch loss
 * L − c·H_share, its gradient w.r.t. the log-probs and w.r.t. the per-token entropies, the
 * `policy_loss` metric and the controller's measure; and the adaptive controller's coefficient
 * over steps (Skywork-OR1 rule as TRL applies it). Tolerance 1e-6 absolute (float32, O(1) values);
 * the controller runs in float64 like TRL's Python floats, so its coefficients are compared exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EntropyController, entropyBonusEnabled, entropyBonusTerm, policyLossMetric } from '../src/entropy-bonus.js';
import { aggregateLoss, perTokenLoss, type LossType } from '../src/loss.js';
import { parseGRPOConfig } from '../src/config.js';
import { GRPOConfigError } from '../src/errors.js';
import { highEntropyMask } from '../src/token-selection.js';

interface Case {
  lossType: LossType;
  entropyCoef: number;
  topEntropyQuantile: number;
  selected: number[];
  entropyTerm: number;
  loss: number;
  policyLoss: number;
  gradLogProbs: number[];
  gradEntropy: number[];
  entropySum: number;
  entropyTokens: number;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/entropy-bonus.json', import.meta.url), 'utf8')) as {
  inputs: Record<string, number[]> & {
    shape: [number, number];
    gradientAccumulationSteps: number;
    maxCompletionLength: number;
    activeTokens: number;
    epsilon: number;
    epsilonHigh: number;
    cispoEpsilonHigh: number;
  };
  cases: Record<string, Case>;
  adaptive: {
    options: { entropyCoef: number; entropyCoefMin: number; entropyCoefMax: number; entropyCoefDelta: number; entropyTarget: number };
    windows: [number, number][][];
    steps: { appliedCoef: number; worldEntropy: number; entropyCoef: number }[];
  };
};
const { inputs } = fixture;
const [B, T] = inputs.shape;
const t2 = (a: number[]) => tf.tensor2d(a, [B, T]);
const TOL = 1e-6;
const ctx = {
  gradientAccumulationSteps: inputs.gradientAccumulationSteps,
  maxCompletionLength: inputs.maxCompletionLength,
  activeTokensInGenerationBatch: inputs.activeTokens,
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function expectClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const worst = Math.max(0, ...expected.map((e, i) => Math.abs(actual[i] - e)));
  expect(worst, `${what}: largest |difference| from torch`).toBeLessThan(TOL);
}

/** The micro-batch loss as train-step.ts builds it, as a function of the log-probs and entropies. */
function lossOf(c: Case, logProbs: tf.Tensor2D, entropy: tf.Tensor2D) {
  const mask = t2(inputs.mask);
  // The selection is a 0/1 mask (no gradient), measured on the entropies' values.
  const selection = c.topEntropyQuantile < 1 ? highEntropyMask(t2(inputs.entropy), mask, c.topEntropyQuantile) : null;
  const per = perTokenLoss({
    logProbs,
    oldLogProbs: t2(inputs.oldLogProbs),
    refLogProbs: null,
    advantages: tf.tensor1d(inputs.advantages),
    epsilonLow: inputs.epsilon,
    epsilonHigh: c.lossType === 'cispo' ? inputs.cispoEpsilonHigh : inputs.epsilonHigh,
    beta: 0,
    importanceSamplingLevel: 'token',
    mask,
    lossType: c.lossType,
    delta: null,
    sapoTemperaturePos: 1,
    sapoTemperatureNeg: 1.05,
    vespo: { kPos: 2, lambdaPos: 3, kNeg: 3, lambdaNeg: 2 },
    useBiasCorrectionKl: false,
    offPolicyMaskThreshold: null,
    ...(selection ? { tokenSelection: selection } : {}),
  });
  const policy = aggregateLoss(c.lossType, per.loss, mask, ctx);
  const selected = (selection ? tf.mul(mask, selection) : mask) as tf.Tensor2D;
  const term = entropyBonusTerm(c.lossType, entropy, selected, ctx);
  return { loss: tf.sub(policy, tf.mul(c.entropyCoef, term)) as tf.Scalar, policy, term, selected };
}

describe('entropy bonus vs PyTorch (entropy-bonus.json, TRL v1.9.0)', () => {
  for (const [name, c] of Object.entries(fixture.cases)) {
    it(`${name}: loss, d loss/d log-probs, d loss/d entropy, policy_loss, selected tokens`, () => {
      tf.tidy(() => {
        const { loss, policy, term, selected } = lossOf(c, t2(inputs.logProbs), t2(inputs.entropy));
        expectClose(selected.dataSync(), c.selected, 'selected tokens');
        expect(Math.abs(term.dataSync()[0] - c.entropyTerm), 'entropy term').toBeLessThan(TOL);
        expect(Math.abs(loss.dataSync()[0] - c.loss), 'loss').toBeLessThan(TOL);
        const metric = policyLossMetric(c.lossType, policy.dataSync()[0], inputs.gradientAccumulationSteps);
        expect(Math.abs(metric - c.policyLoss), 'policy_loss').toBeLessThan(TOL);
        const [gLogp, gEntropy] = tf.grads((lp: tf.Tensor, h: tf.Tensor) => lossOf(c, lp as tf.Tensor2D, h as tf.Tensor2D).loss)([
          t2(inputs.logProbs),
          t2(inputs.entropy),
        ]);
        expectClose(gLogp.dataSync(), c.gradLogProbs, 'd loss / d logProbs');
        expectClose(gEntropy.dataSync(), c.gradEntropy, 'd loss / d entropy');
        const sum = tf.sum(tf.mul(t2(inputs.entropy), selected)).dataSync()[0];
        expect(Math.abs(sum - c.entropySum), 'Σ H·M').toBeLessThan(1e-5);
        expect(tf.sum(selected).dataSync()[0]).toBe(c.entropyTokens);
      });
    });
  }

  it('the fixture exercises both normalizers, a token selection and a negative coefficient', () => {
    const cases = Object.values(fixture.cases);
    expect(new Set(cases.map((c) => c.entropyTerm)).size).toBeGreaterThan(2);
    expect(cases.some((c) => c.topEntropyQuantile < 1 && c.entropyTokens < inputs.mask.reduce((a, b) => a + b, 0))).toBe(true);
    expect(cases.some((c) => c.entropyCoef < 0)).toBe(true);
  });
});

describe('EntropyController (TRL use_adaptive_entropy)', () => {
  it('applies and updates the coefficient step by step as TRL does: gated on the last step, bounded, from +∞', () => {
    const { options, windows, steps } = fixture.adaptive;
    const control = new EntropyController({ ...options, useAdaptiveEntropy: true });
    windows.forEach((window, i) => {
      expect(control.appliedCoef(), `step ${i} applied`).toBe(steps[i].appliedCoef);
      control.endStep(
        window.reduce((a, [s]) => a + s, 0),
        window.reduce((a, [, n]) => a + n, 0),
      );
      expect(control.entropyCoef, `step ${i} coefficient`).toBe(steps[i].entropyCoef);
    });
    // The fixture reaches the cap, the floor, and a step with no bonus after one with it.
    const coefs = steps.map((s) => s.entropyCoef);
    expect(coefs).toContain(options.entropyCoefMax);
    expect(coefs).toContain(options.entropyCoefMin);
  });

  it('a restored state continues the same trajectory; +∞ is kept as null', () => {
    const { options, windows, steps } = fixture.adaptive;
    const fresh = new EntropyController({ ...options, useAdaptiveEntropy: true });
    expect(fresh.state()).toEqual({ entropyCoef: options.entropyCoef, lastWorldEntropy: null });
    const a = new EntropyController({ ...options, useAdaptiveEntropy: true });
    windows.slice(0, 3).forEach((w) => a.endStep(w.reduce((x, [s]) => x + s, 0), w.reduce((x, [, n]) => x + n, 0)));
    const b = new EntropyController({ ...options, useAdaptiveEntropy: true });
    b.restore(JSON.parse(JSON.stringify(a.state())));
    expect(b.appliedCoef()).toBe(steps[3].appliedCoef);
  });

  it('without adaptive control the coefficient is constant; the bonus is on only for a non-zero coefficient or adaptive control', () => {
    const constant = new EntropyController({ ...fixture.adaptive.options, useAdaptiveEntropy: false, entropyCoef: 0.03 });
    constant.endStep(0, 10);
    constant.endStep(100, 10);
    expect([constant.appliedCoef(), constant.entropyCoef]).toEqual([0.03, 0.03]);
    expect(entropyBonusEnabled(parseGRPOConfig({}))).toBe(false);
    expect(entropyBonusEnabled(parseGRPOConfig({ entropyCoef: -0.01 }))).toBe(true);
    expect(entropyBonusEnabled(parseGRPOConfig({ useAdaptiveEntropy: true, entropyCoef: 0 }))).toBe(true);
  });

  it('config: TRL defaults, and min > max is refused naming both fields', () => {
    const c = parseGRPOConfig({});
    expect([c.entropyCoef, c.useAdaptiveEntropy, c.entropyCoefMin, c.entropyCoefMax, c.entropyCoefDelta, c.entropyTarget]).toEqual([0, false, 0, 1, 0.005, 0.2]);
    expect(() => parseGRPOConfig({ useAdaptiveEntropy: true, entropyCoefMin: 0.5, entropyCoefMax: 0.1 })).toThrow(GRPOConfigError);
    expect(() => parseGRPOConfig({ useAdaptiveEntropy: true, entropyCoefMin: 0.5, entropyCoefMax: 0.1 })).toThrow(/entropyCoefMin.*entropyCoefMax/);
    expect(() => parseGRPOConfig({ entropyCoefDelta: -1 })).toThrow(/entropyCoefDelta/);
  });
});
