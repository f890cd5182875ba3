/**
 * The "log-probs → loss" phases for one micro-batch, differentiated w.r.t. the trainable
 * variables: temperature-scaled log-probs of the sampled completions, the clipped surrogate with
 * k3 KL (loss.ts), aggregation by loss type, and the token-level metrics TRL logs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { paddedTensor, type MicroBatch } from './batch.js';
import type { GRPOConfig } from './config.js';
import { resolvedEpsilonHigh } from './config.js';
import { GRPOTrainerError } from './errors.js';
import type { GradientAccumulator } from './gradients.js';
import { aggregateLoss, perTokenLoss, stopGradient, type AggregationContext } from './loss.js';
import type { PolicyModel } from './policy-model.js';
import { weightPolicyTerm } from './rollout/sampling-weight.js';

/** Scalars measured on one micro-batch (token-level masked means, as TRL logs them). */
export interface MicroBatchStats {
  /** This micro-batch's contribution to the step loss (already ÷ G where the loss type says so). */
  loss: number;
  kl: number | null;
  entropy: number | null;
  lowClip: number;
  highClip: number;
  regionClip: number;
}

/** [rows, T] 1 for the first len_i tokens of kept rows, else 0 (the loss mask). */
function lossMask(micro: MicroBatch, T: number): tf.Tensor2D {
  const data = new Float32Array(micro.completionIds.length * T);
  micro.completionIds.forEach((ids, i) => {
    if (micro.keep[i]) data.fill(1, i * T, i * T + Math.min(ids.length, T));
  });
  return tf.tensor2d(data, [micro.completionIds.length, T]);
}

/**
 * Computes the micro-batch loss and adds its gradients to `accumulator`. `dropoutSeed` seeds the
 * model's training-mode randomness (LoRA dropout masks) for this forward.
 * Every intermediate tensor is freed before returning; the returned stats are numbers.
 */
export function accumulateMicroBatch(
  model: PolicyModel,
  variables: tf.Variable[],
  micro: MicroBatch,
  config: GRPOConfig,
  aggregation: AggregationContext,
  accumulator: GradientAccumulator,
  dropoutSeed: number,
): MicroBatchStats {
  const maxLen = Math.max(...micro.completionIds.map((ids) => ids.length));
  let kept: tf.Scalar[] = [];
  let hasKl = false;
  let hasEntropy = false;
  const { value, grads } = tf.variableGrads(() => {
    const out = model.tokenLogProbs(micro.promptIds, micro.completionIds, {
      temperature: config.temperature,
      withEntropy: true,
      training: true,
      seed: dropoutSeed,
      ...(config.logprobChunkSize ? { chunkSize: config.logprobChunkSize } : {}),
    });
    const logProbs = out.logProbs; // [B, T]
    const [rows, T] = logProbs.shape;
    if (rows !== micro.completionIds.length || T < maxLen) {
      throw new GRPOTrainerError(
        `model.tokenLogProbs returned logProbs of shape [${logProbs.shape}] for ${micro.completionIds.length} rows of up to ${maxLen} completion tokens; expected [${micro.completionIds.length}, >= ${maxLen}].`,
      );
    }
    const mask = lossMask(micro, T);
    const per = perTokenLoss({
      logProbs,
      oldLogProbs: micro.oldLogProbs ? paddedTensor(micro.oldLogProbs, T) : stopGradient(logProbs),
      refLogProbs: micro.refLogProbs ? paddedTensor(micro.refLogProbs, T) : null,
      advantages: tf.tensor1d(micro.advantages),
      epsilonLow: config.epsilon,
      epsilonHigh: resolvedEpsilonHigh(config),
      beta: config.beta,
      importanceSamplingLevel: config.importanceSamplingLevel,
      mask,
    });
    const perToken = micro.samplingRatios ? weightPolicyTerm(per.loss, per.kl, config.beta, paddedTensor(micro.samplingRatios, T)) : per.loss;
    const loss = aggregateLoss(config.lossType, perToken, mask, aggregation);
    const tokens = tf.maximum(tf.sum(mask), 1);
    const mean = (x: tf.Tensor) => tf.div(tf.sum(tf.mul(x, mask)), tokens) as tf.Scalar;
    hasKl = per.kl !== null;
    hasEntropy = out.entropy !== undefined;
    const region = tf.minimum(tf.add(per.lowClipped, per.highClipped), 1);
    kept = [
      mean(per.lowClipped),
      mean(per.highClipped),
      mean(region),
      per.kl ? mean(per.kl) : tf.scalar(Number.NaN),
      out.entropy ? mean(out.entropy) : tf.scalar(Number.NaN),
    ].map((t) => tf.keep(t));
    return loss;
  }, variables);
  try {
    accumulator.add(
      variables.map((v) => {
        const g = grads[v.name];
        if (!g) {
          throw new GRPOTrainerError(
            `No gradient reached trainable variable "${v.name}"; model.trainableVariables() must return variables used by tokenLogProbs.`,
          );
        }
        return g;
      }),
    );
    const [lowClip, highClip, regionClip, kl, entropy] = kept.map((t) => t.dataSync()[0]);
    return {
      loss: value.dataSync()[0],
      kl: hasKl ? kl : null,
      entropy: hasEntropy ? entropy : null,
      lowClip,
      highClip,
      regionClip,
    };
  } finally {
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    kept.forEach((t) => t.dispose());
  }
}
