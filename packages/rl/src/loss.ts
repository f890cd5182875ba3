/**
 * The "loss" phase: the clipped GRPO surrogate with the k3 KL penalty, per token, and its
 * aggregation by loss type, exactly as TRL GRPOTrainer (see shared spec grpo.md §6–7).
 * Pure tensor functions: they run inside the caller's tf.tidy / tf.variableGrads and the caller
 * owns every returned tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from './errors.js';

/** TRL `loss_type`. */
export type LossType = 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo';

/** Log-ratios inside exp are clamped to ±this so one bad step cannot overflow to Inf. */
export const MAX_LOG_RATIO = 20;

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
  /** [B, T] completion mask; required for the "sequence" level. */
  mask?: tf.Tensor2D;
}

/** Per-token results; every tensor [B, T], owned by the caller. */
export interface PerTokenLossOutput {
  loss: tf.Tensor2D;
  /** k3 KL estimate; null when beta = 0. */
  kl: tf.Tensor2D | null;
  /** 1 where the ratio was clipped below with a negative advantage (TRL is_low_clipped). */
  lowClipped: tf.Tensor2D;
  /** 1 where the ratio was clipped above with a positive advantage (TRL is_high_clipped). */
  highClipped: tf.Tensor2D;
}

/** Identity whose gradient is zero: torch's `.detach()` inside a differentiated function. */
export const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: x.clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as <T extends tf.Tensor>(x: T) => T;

function checkSameShape(name: string, t: tf.Tensor, shape: number[]): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`${name} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}] (like logProbs).`);
  }
}

/**
 * L_t = −min(r·A, clip(r, 1−ε, 1+ε_high)·A) + β·(exp(ref − logp) − (ref − logp) − 1),
 * with r = exp(logp − old) per token, or per row exp(Σ_t M·(logp − old) / max(Σ_t M, 1)) at the
 * "sequence" level. Gradients flow through `logProbs` only.
 */
export function perTokenLoss(inputs: PerTokenLossInputs): PerTokenLossOutput {
  const { logProbs, oldLogProbs, refLogProbs, advantages, epsilonLow, epsilonHigh, beta } = inputs;
  const [rows, len] = logProbs.shape;
  checkSameShape('oldLogProbs', oldLogProbs, [rows, len]);
  if (refLogProbs) checkSameShape('refLogProbs', refLogProbs, [rows, len]);
  checkSameShape('advantages', advantages, [rows]);
  if (beta !== 0 && !refLogProbs) {
    throw new ShapeError('refLogProbs is null but beta is not 0; compute reference log-probs or set beta to 0.');
  }
  const adv = advantages.reshape([rows, 1]); // [B, 1]
  const old = stopGradient(oldLogProbs);
  let logRatio = tf.sub(logProbs, old); // [B, T]
  if (inputs.importanceSamplingLevel === 'sequence') {
    if (!inputs.mask) throw new ShapeError('mask is required when importanceSamplingLevel is "sequence".');
    checkSameShape('mask', inputs.mask, [rows, len]);
    const perRow = tf.div(tf.sum(tf.mul(logRatio, inputs.mask), 1, true), tf.maximum(tf.sum(inputs.mask, 1, true), 1)); // [B, 1]
    logRatio = tf.add(perRow, tf.zerosLike(logProbs)); // broadcast to [B, T]
  }
  const ratio = tf.exp(tf.clipByValue(logRatio, -MAX_LOG_RATIO, MAX_LOG_RATIO)); // [B, T]
  const clipped = tf.clipByValue(ratio, 1 - epsilonLow, 1 + epsilonHigh);
  const surrogate = tf.minimum(tf.mul(ratio, adv), tf.mul(clipped, adv));
  let loss = tf.neg(surrogate) as tf.Tensor2D;
  let kl: tf.Tensor2D | null = null;
  if (beta !== 0 && refLogProbs) {
    const delta = tf.clipByValue(tf.sub(stopGradient(refLogProbs), logProbs), -MAX_LOG_RATIO, MAX_LOG_RATIO);
    kl = tf.sub(tf.sub(tf.exp(delta), delta), 1) as tf.Tensor2D;
    loss = tf.add(loss, tf.mul(beta, kl)) as tf.Tensor2D;
  }
  const r = stopGradient(ratio);
  const lowClipped = tf.cast(tf.logicalAnd(tf.less(r, 1 - epsilonLow), tf.less(adv, 0)), 'float32') as tf.Tensor2D;
  const highClipped = tf.cast(tf.logicalAnd(tf.greater(r, 1 + epsilonHigh), tf.greater(adv, 0)), 'float32') as tf.Tensor2D;
  return { loss, kl, lowClipped, highClipped };
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
 * - dapo: Σ M·L / max(active tokens of the generation batch, 1) (no ÷ G: already global)
 */
export function aggregateLoss(lossType: LossType, loss: tf.Tensor2D, mask: tf.Tensor2D, ctx: AggregationContext): tf.Scalar {
  checkSameShape('mask', mask, loss.shape);
  const masked = tf.mul(loss, mask);
  const G = ctx.gradientAccumulationSteps;
  switch (lossType) {
    case 'grpo': {
      const perRow = tf.div(tf.sum(masked, 1), tf.maximum(tf.sum(mask, 1), 1)); // [B]
      return tf.div(tf.mean(perRow), G) as tf.Scalar;
    }
    case 'bnpo':
      return tf.div(tf.div(tf.sum(masked), tf.maximum(tf.sum(mask), 1)), G) as tf.Scalar;
    case 'dr_grpo':
      return tf.div(tf.sum(masked), loss.shape[0] * ctx.maxCompletionLength * G) as tf.Scalar;
    case 'dapo':
      return tf.div(tf.sum(masked), Math.max(ctx.activeTokensInGenerationBatch, 1)) as tf.Scalar;
    default:
      throw new ShapeError(`lossType "${String(lossType)}" is not one of grpo, bnpo, dr_grpo, dapo.`);
  }
}

/** Σ(x·M) / max(Σ M, 1) as a JS number: the token-level mean TRL logs for kl, entropy, clip ratios. */
export function maskedMean(x: tf.Tensor2D, mask: tf.Tensor2D): number {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1)).dataSync()[0]);
}
