/**
 * The "loss" phase: the per-token GRPO objective of every TRL loss type (policy-terms.ts) with the
 * k3 KL penalty, the token selections (token-selection.ts), and the aggregation by loss type,
 * as TRL 1.9 GRPOTrainer._compute_loss (see shared spec grpo.md §6–7 and docs/rl.md).
 * Pure tensor functions: they run inside the caller's tf.tidy / tf.variableGrads and the caller
 * owns every returned tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from './errors.js';
import { LOSS_TYPES, policyTerm, type LossType, type VespoParams } from './policy-terms.js';
import { MAX_LOG_RATIO, stopGradient } from './stop-gradient.js';
import { offPolicySequenceMask } from './token-selection.js';

export { CLIPPED_LOSS_TYPES, LOSS_TYPES, vespoSamplingLogWeight, type LossType, type VespoParams } from './policy-terms.js';
export { MAX_LOG_RATIO, stopGradient } from './stop-gradient.js';

/** TRL's defaults for the SAPO temperatures and the VESPO Gamma parameters. */
export const SAPO_DEFAULTS = { temperaturePos: 1.0, temperatureNeg: 1.05 } as const;
export const VESPO_DEFAULTS: VespoParams = { kPos: 2.0, lambdaPos: 3.0, kNeg: 3.0, lambdaNeg: 2.0 };

/** Per-token inputs of the GRPO objective; all [rows, completionLen] except advantages [rows]. */
export interface PerTokenLossInputs {
  /** [B, T] log-probs of the policy being trained (differentiable). */
  logProbs: tf.Tensor2D;
  /** [B, T] log-probs of the policy that sampled (treated as constants). */
  oldLogProbs: tf.Tensor2D;
  /** [B, T] log-probs of the reference (adapters off); null when beta = 0. */
  refLogProbs: tf.Tensor2D | null;
  /** [B] one advantage per row. */
  advantages: tf.Tensor1D;
  epsilonLow: number;
  epsilonHigh: number;
  beta: number;
  /**
   * "token" (GRPO): one ratio per token. "sequence" (GSPO): one ratio per row, the exp of the
   * masked mean log-ratio, shared by its tokens (TRL importance_sampling_level). Default "token".
   */
  importanceSamplingLevel?: 'token' | 'sequence';
  /** [B, T] completion (loss) mask; required for the "sequence" level, vespo and the off-policy mask. */
  mask?: tf.Tensor2D;
  /** Which policy term (TRL loss_type); default "grpo" (the clipped surrogate). */
  lossType?: LossType;
  /** Two-sided clipping cap on the unclipped ratio (TRL delta); null/undefined = off. */
  delta?: number | null;
  /** SAPO gate temperatures for A > 0 and A ≤ 0 (TRL sapo_temperature_pos / _neg). */
  sapoTemperaturePos?: number;
  sapoTemperatureNeg?: number;
  /** VESPO Gamma parameters (TRL vespo_*). */
  vespo?: VespoParams;
  /** Multiply the k3 KL by the (differentiable) importance ratio (TRL use_bias_correction_kl). */
  useBiasCorrectionKl?: boolean;
  /** Drop rows with A < 0 whose mean log π_sampling − log π_θ exceeds this (TRL off_policy_mask_threshold); null = off. */
  offPolicyMaskThreshold?: number | null;
  /** [B, T] the sampler's log-probs for the off-policy mask (a server rollout); default oldLogProbs. */
  samplingLogProbs?: tf.Tensor2D;
  /** [B, T] 0/1 tokens kept in the policy term (the high-entropy mask of top_entropy_quantile); undefined = all. */
  tokenSelection?: tf.Tensor2D;
  /** vespo with a server rollout's importance-sampling correction: [B, 1] from vespoSamplingLogWeight. */
  vespoSamplingLogWeight?: tf.Tensor2D;
}

/** Per-token results; every tensor [B, T] unless noted, owned by the caller. */
export interface PerTokenLossOutput {
  loss: tf.Tensor2D;
  /** k3 KL estimate (times the ratio with useBiasCorrectionKl); null when beta = 0. */
  kl: tf.Tensor2D | null;
  /** 1 where the ratio was clipped below with a negative advantage (TRL is_low_clipped); zeros outside the clipped family. */
  lowClipped: tf.Tensor2D;
  /** 1 where the ratio was clipped above with a positive advantage (TRL is_high_clipped); zeros outside the clipped family. */
  highClipped: tf.Tensor2D;
  /** cispo: 1 where r > ε_high and A > 0; null for other loss types. */
  cispoClipped: tf.Tensor2D | null;
  /** vespo: [B] the Gamma weight φ per row; null for other loss types. */
  phi: tf.Tensor1D | null;
  /**
   * The detached per-token coefficient of −A in the policy term (sapo gate value; cispo clipped
   * ratio; vespo φ), times the token selection and off-policy mask; null for the clipped family.
   */
  weight: tf.Tensor2D | null;
  /** [B, T] 0/1: tokens whose policy term was kept (token selection × off-policy mask). */
  selected: tf.Tensor2D;
}

function checkSameShape(name: string, t: tf.Tensor, shape: number[]): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] (like logProbs).`);
  }
}

/**
 * L_t = S_t · P_t + β·KL_t, where P_t is the loss type's policy term (policy-terms.ts) of
 * r = exp(logp − old) per token, or per row exp(Σ_t M·(logp − old) / max(Σ_t M, 1)) at the
 * "sequence" level; S_t the token selection times the off-policy mask; KL_t = exp(ref − logp) −
 * (ref − logp) − 1, times r with useBiasCorrectionKl. Gradients flow through `logProbs` only.
 */
export function perTokenLoss(inputs: PerTokenLossInputs): PerTokenLossOutput {
  const { logProbs, oldLogProbs, refLogProbs, advantages, epsilonLow, epsilonHigh, beta } = inputs;
  const lossType = inputs.lossType ?? 'grpo';
  const [rows, len] = logProbs.shape;
  checkSameShape('oldLogProbs', oldLogProbs, [rows, len]);
  if (refLogProbs) checkSameShape('refLogProbs', refLogProbs, [rows, len]);
  checkSameShape('advantages', advantages, [rows]);
  if (!(LOSS_TYPES as readonly string[]).includes(lossType)) {
    throw new ShapeError(`lossType "${String(lossType)}" is not one of ${LOSS_TYPES.join(', ')}.`);
  }
  if (beta !== 0 && !refLogProbs) {
    throw new ShapeError('refLogProbs is null but beta is not 0; compute reference log-probs or set beta to 0.');
  }
  const needsMask = inputs.importanceSamplingLevel === 'sequence' || lossType === 'vespo' || inputs.offPolicyMaskThreshold != null;
  if (needsMask && !inputs.mask) {
    throw new ShapeError('mask is required with importanceSamplingLevel "sequence", lossType "vespo" or offPolicyMaskThreshold.');
  }
  const mask = inputs.mask ?? tf.onesLike(logProbs);
  checkSameShape('mask', mask, [rows, len]);
  if (inputs.tokenSelection) checkSameShape('tokenSelection', inputs.tokenSelection, [rows, len]);
  const adv = advantages.reshape([rows, 1]) as tf.Tensor2D; // [B, 1]
  const old = stopGradient(oldLogProbs);
  const tokenLogRatio = tf.sub(logProbs, old) as tf.Tensor2D; // [B, T]
  let logRatio = tokenLogRatio;
  if (inputs.importanceSamplingLevel === 'sequence') {
    const perRow = tf.div(tf.sum(tf.mul(tokenLogRatio, mask), 1, true), tf.maximum(tf.sum(mask, 1, true), 1)); // [B, 1]
    logRatio = tf.add(perRow, tf.zerosLike(logProbs)) as tf.Tensor2D; // broadcast to [B, T]
  }
  const ratio = tf.exp(tf.clipByValue(logRatio, -MAX_LOG_RATIO, MAX_LOG_RATIO)) as tf.Tensor2D; // [B, T]
  const term = policyTerm({
    lossType,
    logProbs,
    tokenLogRatio,
    ratio,
    adv,
    mask,
    epsilonLow,
    epsilonHigh,
    delta: inputs.delta ?? null,
    sapoTemperaturePos: inputs.sapoTemperaturePos ?? SAPO_DEFAULTS.temperaturePos,
    sapoTemperatureNeg: inputs.sapoTemperatureNeg ?? SAPO_DEFAULTS.temperatureNeg,
    vespo: inputs.vespo ?? VESPO_DEFAULTS,
    ...(inputs.vespoSamplingLogWeight ? { vespoSamplingLogWeight: inputs.vespoSamplingLogWeight } : {}),
  });
  let selected = inputs.tokenSelection ?? tf.onesLike(logProbs);
  if (inputs.offPolicyMaskThreshold != null) {
    const sampling = inputs.samplingLogProbs ?? oldLogProbs;
    if (inputs.samplingLogProbs) checkSameShape('samplingLogProbs', sampling, [rows, len]);
    selected = tf.mul(selected, offPolicySequenceMask(logProbs, sampling, mask, adv, inputs.offPolicyMaskThreshold)) as tf.Tensor2D;
  }
  let loss = tf.mul(term.loss, selected) as tf.Tensor2D;
  let kl: tf.Tensor2D | null = null;
  if (beta !== 0 && refLogProbs) {
    const delta = tf.clipByValue(tf.sub(stopGradient(refLogProbs), logProbs), -MAX_LOG_RATIO, MAX_LOG_RATIO);
    kl = tf.sub(tf.sub(tf.exp(delta), delta), 1) as tf.Tensor2D;
    if (inputs.useBiasCorrectionKl) kl = tf.mul(kl, ratio) as tf.Tensor2D;
    loss = tf.add(loss, tf.mul(beta, kl)) as tf.Tensor2D;
  }
  return {
    loss,
    kl,
    lowClipped: term.lowClipped ?? tf.zerosLike(logProbs),
    highClipped: term.highClipped ?? tf.zerosLike(logProbs),
    cispoClipped: term.cispoClipped,
    phi: term.phi,
    weight: term.weight ? (tf.mul(term.weight, selected) as tf.Tensor2D) : null,
    selected,
  };
}

/** Normalizers the aggregation needs beyond the micro-batch itself. */
export interface AggregationContext {
  /** G: micro-batches per optimizer step. */
  gradientAccumulationSteps: number;
  /** maxCompletionLength (dr_grpo's constant normalizer). */
  maxCompletionLength: number;
  /** Σ mask over the whole generation batch (every micro-batch of this optimizer step); dapo only. */
  activeTokensInGenerationBatch: number;
}

/**
 * Reduces per-token losses [B, T] to the micro-batch's scalar contribution to the step loss:
 * - grpo: mean over rows of Σ_t M·L / max(Σ_t M, 1), ÷ G
 * - bnpo: Σ M·L / max(Σ M, 1), ÷ G
 * - dr_grpo: Σ M·L / (B × maxCompletionLength), ÷ G
 * - dapo, cispo, vespo: Σ M·L / max(active tokens of the generation batch, 1) (no ÷ G: already global)
 * - sapo: as grpo
 * - luspo: Σ M·L / B, ÷ G — TRL's mean over rows of (row loss × row length), which is this when the
 *   row's per-token loss is constant (sequence level, beta 0, no token selection; docs/rl.md)
 */
export function aggregateLoss(lossType: LossType, loss: tf.Tensor2D, mask: tf.Tensor2D, ctx: AggregationContext): tf.Scalar {
  checkSameShape('mask', mask, loss.shape);
  const masked = tf.mul(loss, mask);
  const G = ctx.gradientAccumulationSteps;
  switch (lossType) {
    case 'grpo':
    case 'sapo': {
      const perRow = tf.div(tf.sum(masked, 1), tf.maximum(tf.sum(mask, 1), 1)); // [B]
      return tf.div(tf.mean(perRow), G) as tf.Scalar;
    }
    case 'bnpo':
      return tf.div(tf.div(tf.sum(masked), tf.maximum(tf.sum(mask), 1)), G) as tf.Scalar;
    case 'dr_grpo':
      return tf.div(tf.sum(masked), loss.shape[0] * ctx.maxCompletionLength * G) as tf.Scalar;
    case 'luspo':
      return tf.div(tf.sum(masked), loss.shape[0] * G) as tf.Scalar;
    case 'dapo':
    case 'cispo':
    case 'vespo':
      return tf.div(tf.sum(masked), Math.max(ctx.activeTokensInGenerationBatch, 1)) as tf.Scalar;
    default:
      throw new ShapeError(`lossType "${String(lossType)}" is not one of ${LOSS_TYPES.join(', ')}.`);
  }
}

/** Σ(x·M) / max(Σ M, 1) as a JS number: the token-level mean TRL logs for kl, entropy, clip ratios. */
export function maskedMean(x: tf.Tensor2D, mask: tf.Tensor2D): number {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1)).dataSync()[0]);
}
