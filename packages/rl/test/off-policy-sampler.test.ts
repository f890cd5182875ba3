/**
 * offPolicyMaskThreshold with a server rollout measures the drift against the sampler's log-probs,
 * as TRL does with vLLM (`inputs.get("sampling_per_token_logps", old_per_token_logps)`): the
 * generation batch keeps them per micro-batch, and the micro-batch loss uses them. The mask's
 * formula is checked against torch in loss-trl.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGenerationBatch, type BatchContext, type MicroBatch } from '../src/batch.js';
import { parseGRPOConfig, type GRPOConfigInput } from '../src/config.js';
import { GradientAccumulator } from '../src/gradients.js';
import { aggregateLoss, perTokenLoss } from '../src/loss.js';
import type { RolloutBackend } from '../src/rollout/backend.js';
import { LocalRollout } from '../src/rollout/local.js';
import { accumulateMicroBatch } from '../src/train-step.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { TablePolicy } from './helpers/table-policy.js';
import { ALPHABET, countReward, syntheticPrompts } from './helpers/synthetic-task.js';

const tokenizer = new CharTokenizer(ALPHABET);
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The local sampler, reporting a log-prob of −(row + 1)/10 for every token as a server would. */
function fakeServer(model: BigramPolicy): RolloutBackend {
  const local = new LocalRollout(model);
  return {
    kind: 'server',
    syncPolicy: async () => {},
    sample: async (request) => {
      const out = await local.sample(request);
      return { ...out, samplerLogProbs: out.completionIds.map((ids, i) => ids.map(() => -(i + 1) / 10)) };
    },
    close: async () => {},
  } as RolloutBackend;
}

describe('the sampler log-probs of a server rollout', () => {
  for (const threshold of [0.5, null]) {
    it(`are kept per micro-batch ${threshold === null ? 'not without' : 'with'} offPolicyMaskThreshold`, async () => {
      const model = new BigramPolicy(tokenizer.vocabSize, { seed: 4 });
      const extra: GRPOConfigInput = { numGenerations: 3, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, maxCompletionLength: 3, beta: 0, vllmImportanceSamplingCorrection: false, offPolicyMaskThreshold: threshold };
      const ctx: BatchContext = { model, tokenizer, rollout: fakeServer(model), rewardFunctions: [countReward('a')], rewardNames: ['count_a'], rewardWeights: [1], config: parseGRPOConfig(extra) };
      const batch = await buildGenerationBatch(ctx, 0, 0, syntheticPrompts(4));
      for (const mb of batch.micro) {
        if (threshold === null) expect(mb.samplerLogProbs ?? null).toBeNull();
        else expect(mb.samplerLogProbs).toEqual(mb.rows.map((i) => batch.rollout.completionIds[i].map(() => -(i + 1) / 10)));
      }
      model.dispose();
    });
  }

  it('decide which rows the micro-batch loss drops', () => {
    const EOS = 5;
    const completions = [[0, 1, EOS], [2, 3, 4], [1, EOS]];
    const z = [[-0.5, -1.2, -0.3], [-2.0, -0.7, -1.1], [-0.9, -0.4, 0]];
    const sampler = [[-0.5, -1.2, -0.3], [-1.0, 0, -0.2], [-0.9, -0.4]]; // row 1 drifted: mean(sampler − z) ≈ 0.87
    const advantages = [1.1, -0.4, -0.7];
    const model = new TablePolicy(completions, z, z, EOS);
    const micro: MicroBatch = { rows: [0, 1, 2], promptIds: [[0], [0], [0]], completionIds: completions, advantages, keep: [1, 1, 1], oldLogProbs: null, refLogProbs: null, samplerLogProbs: sampler };
    const config = parseGRPOConfig({ lossType: 'bnpo', beta: 0, offPolicyMaskThreshold: 0.5 });
    const aggregation = { gradientAccumulationSteps: 1, maxCompletionLength: 3, activeTokensInGenerationBatch: 8 };
    const accumulator = new GradientAccumulator();
    const stats = accumulateMicroBatch(model, model.trainableVariables(), micro, config, aggregation, accumulator, 1);
    accumulator.dispose();
    const expected = (withSampler: boolean) =>
      tf.tidy(() => {
        const lp = tf.tensor2d(z);
        const mask = tf.tensor2d([[1, 1, 1], [1, 1, 1], [1, 1, 0]]);
        const per = perTokenLoss({
          logProbs: lp, oldLogProbs: lp, refLogProbs: null, advantages: tf.tensor1d(advantages), epsilonLow: 0.2, epsilonHigh: 0.2, beta: 0, mask,
          lossType: 'bnpo', offPolicyMaskThreshold: 0.5,
          ...(withSampler ? { samplingLogProbs: tf.tensor2d(sampler.map((r) => [...r, 0].slice(0, 3))) } : {}),
        });
        return aggregateLoss('bnpo', per.loss, mask, aggregation).dataSync()[0];
      });
    expect(stats.loss).toBeCloseTo(expected(true), 6);
    expect(Math.abs(stats.loss - expected(false))).toBeGreaterThan(1e-2);
    model.dispose();
  });
});
