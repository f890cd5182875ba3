import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { aggregateLoss, maskedMean, perTokenLoss, stopGradient, type LossType } from '../src/loss.js';

const ref = JSON.parse(readFileSync(new URL('./fixtures/reference.json', import.meta.url), 'utf8')).grpo;
const [B, T] = ref.shape as [number, number];
const t2 = (a: number[]) => tf.tensor2d(a, [B, T]);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThan(tol);
}

describe('perTokenLoss (torch reference)', () => {
  it('per-token loss, k3 KL and clip ratios match', () => {
    tf.tidy(() => {
      const mask = t2(ref.mask);
      const out = perTokenLoss({
        logProbs: t2(ref.logProbs),
        oldLogProbs: t2(ref.oldLogProbs),
        refLogProbs: t2(ref.refLogProbs),
        advantages: tf.tensor1d(ref.advantages),
        epsilonLow: ref.epsilonLow,
        epsilonHigh: ref.epsilonHigh,
        beta: ref.beta,
      });
      expectClose(out.loss.dataSync(), ref.perTokenLoss, 1e-5);
      expectClose(out.kl!.dataSync(), ref.perTokenKl, 1e-5);
      expect(maskedMean(out.kl!, mask)).toBeCloseTo(ref.klMean, 5);
      expect(maskedMean(out.lowClipped, mask)).toBeCloseTo(ref.lowClip, 6);
      expect(maskedMean(out.highClipped, mask)).toBeCloseTo(ref.highClip, 6);
      const region = tf.cast(tf.greater(tf.add(out.lowClipped, out.highClipped), 0), 'float32') as tf.Tensor2D;
      expect(maskedMean(region, mask)).toBeCloseTo(ref.regionClip, 6);
      expect(ref.lowClip).toBeGreaterThan(0); // the fixture exercises both sides
      expect(ref.highClip).toBeGreaterThan(0);
    });
  });

  for (const key of ['grpo', 'bnpo', 'dr_grpo', 'dapo', 'grpo/sequence', 'dapo/sequence']) {
    const [lossType, level] = key.split('/') as [LossType, 'sequence' | undefined];
    it(`${key}: aggregated loss and d loss / d logProbs match torch`, () => {
      tf.tidy(() => {
        const mask = t2(ref.mask);
        const f = (logProbs: tf.Tensor) =>
          aggregateLoss(
            lossType,
            perTokenLoss({
              logProbs: logProbs as tf.Tensor2D,
              oldLogProbs: t2(ref.oldLogProbs),
              refLogProbs: t2(ref.refLogProbs),
              advantages: tf.tensor1d(ref.advantages),
              epsilonLow: ref.epsilonLow,
              epsilonHigh: ref.epsilonHigh,
              beta: ref.beta,
              importanceSamplingLevel: level ?? 'token',
              mask,
            }).loss,
            mask,
            {
              gradientAccumulationSteps: ref.gradientAccumulationSteps,
              maxCompletionLength: ref.maxCompletionLength,
              activeTokensInGenerationBatch: ref.activeTokens,
            },
          );
        const { value, grad } = tf.valueAndGrad(f)(t2(ref.logProbs));
        expect(value.dataSync()[0]).toBeCloseTo(ref.lossTypes[key].loss, 5);
        expectClose(grad.dataSync(), ref.lossTypes[key].gradLogProbs, 1e-5);
      });
    });
  }

  it('with old = current (numIterations 1) the ratio is exactly 1 and the gradient is −A/|o| (grpo, beta 0)', () => {
    tf.tidy(() => {
      const mask = tf.tensor2d([[1, 1, 0], [1, 1, 1]]);
      const adv = tf.tensor1d([2, -1]);
      const f = (lp: tf.Tensor) =>
        aggregateLoss(
          'grpo',
          perTokenLoss({
            logProbs: lp as tf.Tensor2D,
            oldLogProbs: stopGradient(lp as tf.Tensor2D),
            refLogProbs: null,
            advantages: adv,
            epsilonLow: 0.2,
            epsilonHigh: 0.2,
            beta: 0,
          }).loss,
          mask,
          { gradientAccumulationSteps: 1, maxCompletionLength: 3, activeTokensInGenerationBatch: 5 },
        );
      const { value, grad } = tf.valueAndGrad(f)(tf.tensor2d([[-1, -2, -3], [-0.5, -0.1, -4]]));
      expect(value.dataSync()[0]).toBeCloseTo(-(2 * 1 + -1 * 1) / 2, 6);
      expectClose(grad.dataSync(), [-2 / 2 / 2, -2 / 2 / 2, 0, 1 / 3 / 2, 1 / 3 / 2, 1 / 3 / 2], 1e-6);
    });
  });

  it('a huge log-ratio is clamped instead of overflowing to Inf', () => {
    tf.tidy(() => {
      const out = perTokenLoss({
        logProbs: tf.tensor2d([[0]]),
        oldLogProbs: tf.tensor2d([[-500]]),
        refLogProbs: tf.tensor2d([[300]]),
        advantages: tf.tensor1d([-1]),
        epsilonLow: 0.2,
        epsilonHigh: 0.2,
        beta: 0.1,
      });
      expect(Number.isFinite(out.loss.dataSync()[0])).toBe(true);
    });
  });

  it('names a mis-shaped argument', () => {
    expect(() =>
      perTokenLoss({
        logProbs: tf.zeros([2, 3]) as tf.Tensor2D,
        oldLogProbs: tf.zeros([2, 4]) as tf.Tensor2D,
        refLogProbs: null,
        advantages: tf.zeros([2]) as tf.Tensor1D,
        epsilonLow: 0.2,
        epsilonHigh: 0.2,
        beta: 0,
      }),
    ).toThrow(/oldLogProbs has shape \[2, 4\], expected \[2, 3\]/);
  });
});
