/**
 * The "log-probs → loss" phases for one micro-batch, differentiated w.r.t. the trainable
 * variables: temperature-scaled log-probs of the sampled completions, the token selection
 * (top_entropy_quantile), the loss type's per-token objective with k3 KL (loss.ts), aggregation by
 * loss type, TRL's entropy bonus when it is on (entropy-bonus.ts), and the token-level metrics TRL logs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { paddedTensor, type MicroBatch } from './batch.js';
import type { GRPOConfig } from './config.js';
import { resolvedEpsilonHigh } from './config.js';
import { GRPOTrainerError } from './errors.js';
import type { GradientAccumulator } from './gradients.js';
import { entropyBonusTerm, policyLossMetric } from './entropy-bonus.js';
import { aggregateLoss, CLIPPED_LOSS_TYPES, perTokenLoss, stopGradient, vespoSamplingLogWeight, type AggregationContext } from './loss.js';
import { tokenMetrics, type TokenMetrics, type TokenMetricsInputs } from './loss-metrics.js';
import type { PolicyModel } from './policy-model.js';
import { weightPolicyTerm } from './rollout/sampling-weight.js';
import { highEntropyMask } from './token-selection.js';

/** Scalars measured on one micro-batch (TRL's token statistics, loss-metrics.ts). */
export interface MicroBatchStats extends TokenMetrics {
  /** This micro-batch's contribution to the step loss (already ÷ G where the loss type says so). */
  loss: number;
  /** With the entropy bonus: TRL's `policy_loss` (entropy-bonus.ts policyLossMetric); else null. */
  policyLoss: number | null;
  /** With the entropy bonus: Σ H·M and Σ M over the selected tokens (the adaptive controller's measure). */
  entropySum: number | null;
  entropyTokens: number | null;
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
 * model's training-mode randomness (LoRA dropout masks) for this forward. `entropyCoef` non-null
 * turns on the entropy bonus: the loss minus entropyCoef × this micro-batch's share of the mean
 * entropy, the entropy then differentiated (null: the entropy is a metric only, no extra cost).
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
  entropyCoef: number | null = null,
): MicroBatchStats {
  const bonus = entropyCoef !== null;
  const maxLen = Math.max(...micro.completionIds.map((ids) => ids.length));
  let kept: tf.Tensor[] = [];
  let metricInputs: TokenMetricsInputs | null = null;
  let bonusInputs: { policyLoss: tf.Scalar; entropySum: tf.Tensor; tokens: tf.Tensor } | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const out = model.tokenLogProbs(micro.promptIds, micro.completionIds, {
      temperature: config.temperature,
      withEntropy: true,
      ...(bonus ? { entropyGrad: true } : {}),
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
    if ((config.topEntropyQuantile < 1 || bonus) && !out.entropy) {
      throw new GRPOTrainerError(
        `${bonus ? 'The entropy bonus (entropyCoef, useAdaptiveEntropy)' : 'topEntropyQuantile < 1'} needs per-token entropies, but model.tokenLogProbs returned none for withEntropy: true.`,
      );
    }
    const tokenSelection = config.topEntropyQuantile < 1 && out.entropy ? highEntropyMask(out.entropy, mask, config.topEntropyQuantile) : null;
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
      lossType: config.lossType,
      delta: config.delta,
      sapoTemperaturePos: config.sapoTemperaturePos,
      sapoTemperatureNeg: config.sapoTemperatureNeg,
      vespo: { kPos: config.vespoKPos, lambdaPos: config.vespoLambdaPos, kNeg: config.vespoKNeg, lambdaNeg: config.vespoLambdaNeg },
      useBiasCorrectionKl: config.useBiasCorrectionKl,
      offPolicyMaskThreshold: config.offPolicyMaskThreshold,
      ...(micro.samplerLogProbs ? { samplingLogProbs: paddedTensor(micro.samplerLogProbs, T) } : {}),
      ...(tokenSelection ? { tokenSelection } : {}),
      // VESPO takes a server rollout's correction into its sequence weight φ, not as a factor of the loss (TRL).
      ...(config.lossType === 'vespo' && micro.samplingRatios
        ? { vespoSamplingLogWeight: vespoSamplingLogWeight(micro.samplingRatios, micro.keep, config.vllmImportanceSamplingMode.startsWith('sequence')) }
        : {}),
    });
    const weighted = micro.samplingRatios && config.lossType !== 'vespo';
    const perToken = weighted ? weightPolicyTerm(per.loss, per.kl, config.beta, paddedTensor(micro.samplingRatios!, T)) : per.loss;
    const policyLoss = aggregateLoss(config.lossType, perToken, mask, aggregation);
    const keep = <T extends tf.Tensor | null | undefined>(t: T): T => {
      if (t) kept.push(tf.keep(t));
      return t;
    };
    let loss = policyLoss;
    if (bonus) {
      // TRL's effective mask: the bonus acts on the tokens the policy term uses.
      const selected = (tokenSelection ? tf.mul(mask, tokenSelection) : mask) as tf.Tensor2D;
      const entropy = out.entropy as tf.Tensor2D;
      loss = tf.sub(policyLoss, tf.mul(entropyCoef, entropyBonusTerm(config.lossType, entropy, selected, aggregation))) as tf.Scalar;
      bonusInputs = { policyLoss: keep(policyLoss), entropySum: keep(tf.sum(tf.mul(stopGradient(entropy), selected))), tokens: keep(tf.sum(selected)) };
    }
    metricInputs = {
      loss: {
        kl: keep(per.kl),
        lowClipped: keep(per.lowClipped),
        highClipped: keep(per.highClipped),
        cispoClipped: keep(per.cispoClipped),
        phi: keep(per.phi),
      },
      mask: keep(mask),
      entropy: keep(out.entropy) ?? null,
      clipped: CLIPPED_LOSS_TYPES.includes(config.lossType),
      importanceSamplingLevel: config.importanceSamplingLevel,
    };
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
    const b = bonusInputs as { policyLoss: tf.Scalar; entropySum: tf.Tensor; tokens: tf.Tensor } | null;
    return {
      loss: value.dataSync()[0],
      policyLoss: b ? policyLossMetric(config.lossType, b.policyLoss.dataSync()[0], aggregation.gradientAccumulationSteps) : null,
      entropySum: b ? b.entropySum.dataSync()[0] : null,
      entropyTokens: b ? b.tokens.dataSync()[0] : null,
      ...tokenMetrics(metricInputs as unknown as TokenMetricsInputs),
    };
  } finally {
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    kept.forEach((t) => t.dispose());
  }
}
