/**
 * perTokenLoss and aggregateLoss refuse inputs of the wrong shape or kind with a ShapeError naming
 * the argument, and compute no KL term when beta is 0 even if reference log-probs are given.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors.js';
import { aggregateLoss, perTokenLoss, type LossType, type PerTokenLossInputs } from '../src/loss.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Valid inputs for 2 rows × 3 tokens, with `patch` applied. */
function inputs(patch: Partial<PerTokenLossInputs> = {}): PerTokenLossInputs {
  return {
    logProbs: tf.tensor2d([-1, -2, -0.5, -0.1, -3, -1.5], [2, 3]),
    oldLogProbs: tf.tensor2d([-1.1, -1.9, -0.5, -0.3, -2.5, -1.5], [2, 3]),
    refLogProbs: tf.tensor2d([-1.2, -2.1, -0.4, -0.2, -2.8, -1.4], [2, 3]),
    advantages: tf.tensor1d([0.7, -1.2]),
    epsilonLow: 0.2,
    epsilonHigh: 0.28,
    beta: 0.04,
    ...patch,
  };
}

const shapeError = (fn: () => unknown, message: string) => tf.tidy(() => {
  expect(fn).toThrow(ShapeError);
  expect(fn).toThrow(message);
});

describe('perTokenLoss input checks', () => {
  it('oldLogProbs of lower rank', () => {
    shapeError(() => perTokenLoss(inputs({ oldLogProbs: tf.tensor1d([1, 2]) as unknown as tf.Tensor2D })), 'oldLogProbs has shape [2], expected [2, 3] (like logProbs).');
  });

  it('refLogProbs of another shape', () => {
    shapeError(() => perTokenLoss(inputs({ refLogProbs: tf.zeros([2, 4]) as tf.Tensor2D })), 'refLogProbs has shape [2, 4], expected [2, 3] (like logProbs).');
  });

  it('advantages of another length', () => {
    shapeError(() => perTokenLoss(inputs({ advantages: tf.tensor1d([1, 2, 3]) })), 'advantages has shape [3], expected [2] (like logProbs).');
  });

  it('beta ≠ 0 without reference log-probs', () => {
    shapeError(() => perTokenLoss(inputs({ refLogProbs: null })), 'refLogProbs is null but beta is not 0; compute reference log-probs or set beta to 0.');
  });

  it('the sequence level without a mask, or with a mask of another shape', () => {
    shapeError(() => perTokenLoss(inputs({ importanceSamplingLevel: 'sequence' })), 'mask is required with importanceSamplingLevel "sequence", lossType "vespo" or offPolicyMaskThreshold.');
    shapeError(
      () => perTokenLoss(inputs({ importanceSamplingLevel: 'sequence', mask: tf.ones([3, 2]) as tf.Tensor2D })),
      'mask has shape [3, 2], expected [2, 3] (like logProbs).',
    );
  });
});

describe('perTokenLoss with beta = 0', () => {
  it('has no KL term even when reference log-probs are given', () => {
    tf.tidy(() => {
      const withRef = perTokenLoss(inputs({ beta: 0 }));
      const withoutRef = perTokenLoss(inputs({ beta: 0, refLogProbs: null }));
      expect(withRef.kl).toBeNull();
      expect(Array.from(withRef.loss.dataSync())).toEqual(Array.from(withoutRef.loss.dataSync()));
    });
  });
});

describe('aggregateLoss input checks', () => {
  const ctx = { gradientAccumulationSteps: 1, maxCompletionLength: 3, activeTokensInGenerationBatch: 6 };

  it('a mask of another shape', () => {
    shapeError(() => aggregateLoss('grpo', tf.zeros([2, 3]) as tf.Tensor2D, tf.ones([2, 2]) as tf.Tensor2D, ctx), 'mask has shape [2, 2], expected [2, 3] (like logProbs).');
  });

  it('an unknown loss type', () => {
    shapeError(
      () => aggregateLoss('ppo' as LossType, tf.zeros([2, 3]) as tf.Tensor2D, tf.ones([2, 3]) as tf.Tensor2D, ctx),
      'lossType "ppo" is not one of grpo, bnpo, dr_grpo, dapo, cispo, sapo, luspo, vespo.',
    );
  });
});
