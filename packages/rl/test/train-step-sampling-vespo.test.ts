/**
 * With a server rollout's importance-sampling ratios, accumulateMicroBatch weights the policy term
 * of every loss type by the ratio, except VESPO's: TRL folds the ratio into VESPO's sequence
 * weight φ instead (grpo_trainer.py v1.9.0, get_gamma_weights and the `loss_type != "vespo"` test).
 * The micro-batch loss is compared with perTokenLoss/aggregateLoss, whose formulas
 * loss-trl.test.ts checks against torch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MicroBatch } from '../src/batch.js';
import { parseGRPOConfig } from '../src/config.js';
import { GradientAccumulator } from '../src/gradients.js';
import { aggregateLoss, perTokenLoss, vespoSamplingLogWeight } from '../src/loss.js';
import { accumulateMicroBatch } from '../src/train-step.js';
import { TablePolicy } from './helpers/table-policy.js';

const EOS = 5;
const completions = [[0, 1, EOS], [2, 3, 4], [1, EOS]];
const z = [[-0.5, -1.2, -0.3], [-2.0, -0.7, -1.1], [-0.9, -0.4, 0]];
const old = [[-0.6, -1.0, -0.35], [-1.8, -0.9, -1.0], [-1.1, -0.3]];
const ratios = [[1.2, 0.8, 1.0], [0.6, 1.5, 0.9], [1.1, 0.7]];
const advantages = [1.1, -0.4, -0.7];
const aggregation = { gradientAccumulationSteps: 1, maxCompletionLength: 3, activeTokensInGenerationBatch: 8 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function micro(): MicroBatch {
  return {
    rows: [0, 1, 2],
    promptIds: [[0], [0], [0]],
    completionIds: completions,
    advantages,
    keep: [1, 1, 1],
    oldLogProbs: old,
    refLogProbs: null,
    samplingRatios: ratios,
  };
}

/** The loss accumulateMicroBatch reports for `lossType`, and the expectation with or without ρ as a factor. */
function run(lossType: 'vespo' | 'dapo') {
  const model = new TablePolicy(completions, z, z, EOS);
  const config = parseGRPOConfig({ lossType, beta: 0, numIterations: 2, vllmImportanceSamplingMode: 'token_truncate' });
  const accumulator = new GradientAccumulator();
  const stats = accumulateMicroBatch(model, model.trainableVariables(), micro(), config, aggregation, accumulator, 1);
  accumulator.dispose();
  const expected = (withFactor: boolean, inPhi: boolean) =>
    tf.tidy(() => {
      const lp = tf.tensor2d(z);
      const mask = tf.tensor2d([[1, 1, 1], [1, 1, 1], [1, 1, 0]]);
      const per = perTokenLoss({
        logProbs: lp,
        oldLogProbs: tf.tensor2d(old.map((r) => [...r, 0, 0].slice(0, 3))),
        refLogProbs: null,
        advantages: tf.tensor1d(advantages),
        epsilonLow: 0.2,
        epsilonHigh: 0.2,
        beta: 0,
        mask,
        lossType,
        ...(inPhi ? { vespoSamplingLogWeight: vespoSamplingLogWeight(ratios, [1, 1, 1], false) } : {}),
      });
      const rho = tf.tensor2d(ratios.map((r) => [...r, 0, 0].slice(0, 3)));
      return aggregateLoss(lossType, withFactor ? (tf.mul(per.loss, rho) as tf.Tensor2D) : per.loss, mask, aggregation).dataSync()[0];
    });
  model.dispose();
  return { loss: stats.loss, expected };
}

describe('server-rollout importance sampling and the loss types', () => {
  it('vespo: the ratios enter φ, not the loss as a factor', () => {
    const { loss, expected } = run('vespo');
    expect(loss).toBeCloseTo(expected(false, true), 6);
    expect(Math.abs(loss - expected(true, false))).toBeGreaterThan(1e-3);
    expect(Math.abs(loss - expected(false, false))).toBeGreaterThan(1e-3);
  });

  it('dapo: the policy term is multiplied by the ratios', () => {
    const { loss, expected } = run('dapo');
    expect(loss).toBeCloseTo(expected(true, false), 6);
    expect(Math.abs(loss - expected(false, false))).toBeGreaterThan(1e-3);
  });
});
