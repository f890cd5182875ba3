/**
 * The TRL 1.9 loss types and loss options (cispo, sapo, luspo, vespo, delta, off-policy sequence
 * mask, bias-corrected KL, top-entropy token selection; VESPO's φ with a server rollout's
 * importance-sampling ratios) against an independent float64 PyTorch
 * implementation of TRL's formulas (fixtures/make_trl_loss_fixtures.py → trl-losses.json):
 * the per-token loss, the per-token weight and token selection, the aggregated micro-batch loss,
 * its gradient w.r.t. the log-probs, and the token statistics TRL logs. Tolerance 1e-6 absolute
 * (float32 here; every value is O(1)).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { aggregateLoss, CLIPPED_LOSS_TYPES, perTokenLoss, vespoSamplingLogWeight, type LossType } from '../src/loss.js';
import { tokenMetrics } from '../src/loss-metrics.js';
import { highEntropyMask, quantile } from '../src/token-selection.js';

interface CaseOptions {
  lossType: LossType;
  level: 'token' | 'sequence';
  beta: number;
  epsilon: number;
  epsilonHigh: number | null;
  delta: number | null;
  sapoPos: number;
  sapoNeg: number;
  vespo: [number, number, number, number];
  biasKl: boolean;
  offPolicy: number | null;
  topEntropy: number;
  samplingRatio: 'token' | 'sequence' | null;
  offPolicySampler: boolean;
}
interface Case {
  options: CaseOptions;
  perTokenLoss: number[];
  selected: number[];
  weight?: number[];
  loss: number;
  gradLogProbs: number[];
  metrics: Record<string, number>;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/trl-losses.json', import.meta.url), 'utf8')) as {
  inputs: Record<string, number[]> & {
    shape: [number, number];
    gradientAccumulationSteps: number;
    maxCompletionLength: number;
    activeTokens: number;
    samplingRatios: Record<'token' | 'sequence', number[][]>;
  };
  cases: Record<string, Case>;
};
const { inputs } = fixture;
const [B, T] = inputs.shape;
const t2 = (a: number[]) => tf.tensor2d(a, [B, T]);
const TOL = 1e-6;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function expectClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const worst = Math.max(0, ...expected.map((e, i) => Math.abs(actual[i] - e)));
  expect(worst, `${what}: largest |difference| from torch`).toBeLessThan(TOL);
}

/** The micro-batch loss of `o` as a function of the log-probs, plus the per-token outputs. */
function lossOf(o: CaseOptions, logProbs: tf.Tensor2D) {
  const mask = t2(inputs.mask);
  const per = perTokenLoss({
    logProbs,
    oldLogProbs: t2(inputs.oldLogProbs),
    refLogProbs: o.beta !== 0 ? t2(inputs.refLogProbs) : null,
    advantages: tf.tensor1d(inputs.advantages),
    epsilonLow: o.epsilon,
    epsilonHigh: o.epsilonHigh ?? o.epsilon,
    beta: o.beta,
    importanceSamplingLevel: o.level,
    mask,
    lossType: o.lossType,
    delta: o.delta,
    sapoTemperaturePos: o.sapoPos,
    sapoTemperatureNeg: o.sapoNeg,
    vespo: { kPos: o.vespo[0], lambdaPos: o.vespo[1], kNeg: o.vespo[2], lambdaNeg: o.vespo[3] },
    useBiasCorrectionKl: o.biasKl,
    offPolicyMaskThreshold: o.offPolicy,
    ...(o.offPolicySampler ? { samplingLogProbs: t2(inputs.samplingLogProbs) } : {}),
    ...(o.topEntropy < 1 ? { tokenSelection: highEntropyMask(t2(inputs.entropy), mask, o.topEntropy) } : {}),
    ...(o.samplingRatio
      ? { vespoSamplingLogWeight: vespoSamplingLogWeight(inputs.samplingRatios[o.samplingRatio], [1, 1, 1, 1], o.samplingRatio === 'sequence') }
      : {}),
  });
  const loss = aggregateLoss(o.lossType, per.loss, mask, {
    gradientAccumulationSteps: inputs.gradientAccumulationSteps,
    maxCompletionLength: inputs.maxCompletionLength,
    activeTokensInGenerationBatch: inputs.activeTokens,
  });
  return { loss, per, mask };
}

describe('TRL 1.9 loss types and options vs PyTorch (trl-losses.json)', () => {
  for (const [name, ref] of Object.entries(fixture.cases)) {
    it(`${name}: per-token loss, weights, selection, loss, d loss/d log-probs and metrics`, () => {
      tf.tidy(() => {
        const o = ref.options;
        const { per, mask, loss } = lossOf(o, t2(inputs.logProbs));
        expectClose(tf.mul(per.loss, mask).dataSync(), ref.perTokenLoss, 'per-token loss');
        expectClose(tf.mul(per.selected, mask).dataSync(), ref.selected, 'selected tokens');
        if (ref.weight) expectClose(tf.mul(per.weight!, mask).dataSync(), ref.weight, 'per-token weight');
        else expect(per.weight).toBeNull();
        expect(Math.abs(loss.dataSync()[0] - ref.loss), 'aggregated loss').toBeLessThan(TOL);
        const grad = tf.grad((lp: tf.Tensor) => lossOf(o, lp as tf.Tensor2D).loss)(t2(inputs.logProbs));
        expectClose(grad.dataSync(), ref.gradLogProbs, 'd loss / d logProbs');
        const stats = tokenMetrics({
          loss: per,
          mask,
          entropy: t2(inputs.entropy),
          clipped: CLIPPED_LOSS_TYPES.includes(o.lossType),
          importanceSamplingLevel: o.level,
        });
        const named: Record<string, number | null> = {
          entropy: stats.entropy,
          kl: stats.kl,
          'clip_ratio/low_mean': stats.lowClip,
          'clip_ratio/high_mean': stats.highClip,
          'clip_ratio/region_mean': stats.regionClip,
          'clip_ratio/low_min': stats.lowClipMin,
          'clip_ratio/high_max': stats.highClipMax,
          cispo_clip_ratio: stats.cispoClip,
          'vespo/phi_seq_mean': stats.phiSeq,
        };
        for (const [metric, value] of Object.entries(named)) {
          if (metric in ref.metrics) expect(Math.abs((value ?? Number.NaN) - ref.metrics[metric]), metric).toBeLessThan(TOL);
          else expect(value, `${metric} is not logged for ${name}`).toBeNull();
        }
      });
    });
  }

  it('the fixture exercises every option: clipping on both sides, dropped rows, selected tokens, CISPO caps', () => {
    const c = fixture.cases;
    expect(c['grpo+delta'].metrics['clip_ratio/low_mean']).toBeGreaterThan(0);
    expect(c['grpo+delta'].metrics['clip_ratio/high_mean']).toBeGreaterThan(0);
    expect(c['luspo/sequence'].metrics['clip_ratio/region_mean']).toBeGreaterThan(0);
    expect(c['bnpo+offPolicyMaskThreshold'].selected.reduce((a, b) => a + b, 0)).toBeLessThan(inputs.mask.reduce((a, b) => a + b, 0));
    const selectedCount = (name: string) => c[name].selected.reduce((a, b) => a + b, 0);
    expect(selectedCount('bnpo+offPolicyMaskThreshold/sampler')).toBeLessThan(selectedCount('bnpo+offPolicyMaskThreshold'));
    expect(c['dapo+topEntropyQuantile=0'].selected.reduce((a, b) => a + b, 0)).toBe(1);
    expect(c.cispo.metrics.cispo_clip_ratio).toBeGreaterThan(0);
  });

  it('delta changes the loss only where the unclipped ratio exceeds it', () => {
    tf.tidy(() => {
      const base = { ...fixture.cases['grpo+delta'].options, delta: null };
      const off = lossOf(base, t2(inputs.logProbs)).loss.dataSync()[0];
      expect(Math.abs(off - fixture.cases['grpo+delta'].loss)).toBeGreaterThan(1e-3);
      const huge = lossOf({ ...base, delta: 1e6 }, t2(inputs.logProbs)).loss.dataSync()[0];
      expect(huge).toBeCloseTo(off, 7);
    });
  });
});

describe('quantile (torch.quantile, linear interpolation)', () => {
  it('interpolates between ranks and refuses bad input', () => {
    expect(quantile([3, 1, 2, 4], 0)).toBe(1);
    expect(quantile([3, 1, 2, 4], 1)).toBe(4);
    expect(quantile([3, 1, 2, 4], 0.5)).toBeCloseTo(2.5, 12);
    expect(quantile([10, 0], 0.3)).toBeCloseTo(3, 12);
    expect(() => quantile([], 0.5)).toThrow(/empty/);
    expect(() => quantile([1], 1.5)).toThrow(/\[0, 1\]/);
  });

  it('highEntropyMask keeps nothing when no token is masked in', () => {
    tf.tidy(() => {
      const m = highEntropyMask(tf.tensor2d([[1, 2]]), tf.tensor2d([[0, 0]]), 0.5);
      expect(Array.from(m.dataSync())).toEqual([0, 0]);
    });
  });
});
