/**
 * The policy term of each TRL loss type, per token, given the importance ratio: the clipped
 * surrogate (grpo, bnpo, dr_grpo, dapo, luspo; optionally two-sided with `delta`), CISPO's clipped
 * and detached weight on log π, SAPO's soft sigmoid gate, and VESPO's Gamma weight of the
 * sequence ratio. Formulas from TRL 1.9 GRPOTrainer._compute_loss / get_gamma_weights (see
 * docs/rl.md). Pure tensor functions: they run inside the caller's tidy / variableGrads.
 */
import * as tf from '@tensorflow/tfjs-core';
import { constantOf, MAX_LOG_RATIO, stopGradient } from './stop-gradient.js';

/** TRL `loss_type`. */
export type LossType = 'grpo' | 'bnpo' | 'dr_grpo' | 'dapo' | 'cispo' | 'sapo' | 'luspo' | 'vespo';

/** Every loss type, in TRL's documentation order (the config enum and error messages use it). */
export const LOSS_TYPES = ['grpo', 'bnpo', 'dr_grpo', 'dapo', 'cispo', 'sapo', 'luspo', 'vespo'] as const satisfies readonly LossType[];

/** Loss types built on the clipped surrogate; only they log clip_ratio/* (as TRL). */
export const CLIPPED_LOSS_TYPES: readonly LossType[] = ['grpo', 'bnpo', 'dr_grpo', 'dapo', 'luspo'];

/** VESPO's Gamma weighting parameters (TRL vespo_k_pos, vespo_lambda_pos, vespo_k_neg, vespo_lambda_neg). */
export interface VespoParams {
  kPos: number;
  lambdaPos: number;
  kNeg: number;
  lambdaNeg: number;
}

/** What every policy term reads; tensors are [B, T] except `adv` [B, 1]. */
export interface PolicyTermInputs {
  lossType: LossType;
  /** Differentiable log π_θ of the sampled tokens. */
  logProbs: tf.Tensor2D;
  /** log π_θ − log π_old per token (gradient flows through log π_θ). */
  tokenLogRatio: tf.Tensor2D;
  /** The importance ratio at the configured level (per token, or the row's broadcast). */
  ratio: tf.Tensor2D;
  adv: tf.Tensor2D;
  /** Loss mask (VESPO sums the row's log-ratio over it). */
  mask: tf.Tensor2D;
  epsilonLow: number;
  epsilonHigh: number;
  /** Two-sided clipping: cap the unclipped ratio at this (INTELLECT-2); null = off. */
  delta: number | null;
  sapoTemperaturePos: number;
  sapoTemperatureNeg: number;
  vespo: VespoParams;
  /** VESPO with a server rollout's correction: [B, 1] Σ log ρ of each row (vespoSamplingLogWeight), added to log w. */
  vespoSamplingLogWeight?: tf.Tensor2D;
}

/** The per-token policy loss and the detached quantities TRL logs for its loss type. */
export interface PolicyTermOutput {
  /** [B, T] policy loss per token (no KL). */
  loss: tf.Tensor2D;
  /**
   * [B, T] the detached coefficient that multiplies −A (sapo: the gate's value; cispo, vespo: the
   * weight on log π); null for the clipped family, whose coefficient is the chosen branch of a min.
   */
  weight: tf.Tensor2D | null;
  /** Clipped family: 1 where r < 1 − ε and A < 0 (r after the delta cap, as TRL). */
  lowClipped: tf.Tensor2D | null;
  /** Clipped family: 1 where r > 1 + ε_high and A > 0. */
  highClipped: tf.Tensor2D | null;
  /** cispo: 1 where r > ε_high and A > 0 (TRL cispo_clip_ratio). */
  cispoClipped: tf.Tensor2D | null;
  /** vespo: [B] the Gamma weight φ of each row (TRL vespo/phi_seq_mean). */
  phi: tf.Tensor1D | null;
}

const indicator = (cond: tf.Tensor) => tf.cast(cond, 'float32') as tf.Tensor2D;

/**
 * VESPO's φ(w) = exp(λ + k·log w − λ·w) per row, with log w = Σ_t M·clamp(log-ratio, ±20) clamped
 * to [log 1e-8, 20]; k, λ by the sign of A (A ≥ 0 uses the positive pair), λ ≥ 1e-4; NaN/Inf → 0.
 * Detached: φ only scales the gradient of −A·log π. Returns [B, 1].
 */
export function vespoGammaWeights(tokenLogRatio: tf.Tensor2D, mask: tf.Tensor2D, adv: tf.Tensor2D, p: VespoParams, samplingLogWeight?: tf.Tensor2D): tf.Tensor2D {
  const lowerLog = Math.log(1e-8);
  let seq = tf.sum(tf.mul(tf.clipByValue(constantOf(tokenLogRatio), -MAX_LOG_RATIO, MAX_LOG_RATIO), mask), 1, true); // [B, 1]
  if (samplingLogWeight) seq = tf.add(seq, samplingLogWeight);
  const logW = tf.clipByValue(seq, lowerLog, MAX_LOG_RATIO);
  const nonNeg = tf.greaterEqual(adv, 0);
  const k = tf.where(nonNeg, tf.fill(adv.shape, p.kPos), tf.fill(adv.shape, p.kNeg));
  const lambda = tf.maximum(tf.where(nonNeg, tf.fill(adv.shape, p.lambdaPos), tf.fill(adv.shape, p.lambdaNeg)), 1e-4);
  const phi = tf.exp(tf.sub(tf.add(lambda, tf.mul(k, logW)), tf.mul(lambda, tf.exp(logW))));
  return constantOf(tf.where(tf.isFinite(phi), phi, tf.zerosLike(phi)) as tf.Tensor2D);
}

/**
 * [B, 1] VESPO's share of a server rollout's importance-sampling correction (TRL folds it into the
 * sequence weight instead of multiplying the loss): per row Σ_t clamp(log ρ_t, log 1e-8, 20) over
 * the row's completion tokens with `keep` (a masked row's ρ is 1 in TRL, adding 0), or the one
 * clamped log ρ of the row in a sequence mode. `ratios` per row, one per token (rollout/is-correction.ts).
 */
export function vespoSamplingLogWeight(ratios: readonly (readonly number[])[], keep: readonly number[], sequenceMode: boolean): tf.Tensor2D {
  const clampedLog = (r: number) => Math.min(Math.max(Math.log(r), Math.log(1e-8)), MAX_LOG_RATIO);
  const rows = ratios.map((row, i) => {
    if (sequenceMode) return row.length ? clampedLog(row[0]) : 0;
    return keep[i] ? row.reduce((sum, r) => sum + clampedLog(r), 0) : 0;
  });
  return tf.tensor2d(rows, [rows.length, 1]);
}

/** The policy term of `inputs.lossType` (see the file comment). */
export function policyTerm(inputs: PolicyTermInputs): PolicyTermOutput {
  const { lossType, logProbs, ratio, adv, epsilonLow, epsilonHigh } = inputs;
  const none = { weight: null, lowClipped: null, highClipped: null, cispoClipped: null, phi: null };
  switch (lossType) {
    case 'cispo': {
      const weight = stopGradient(tf.minimum(ratio, epsilonHigh)) as tf.Tensor2D;
      const loss = tf.neg(tf.mul(tf.mul(weight, adv), logProbs)) as tf.Tensor2D;
      const cispoClipped = indicator(tf.logicalAnd(tf.greater(stopGradient(ratio), epsilonHigh), tf.greater(adv, 0)));
      return { ...none, loss, weight: tf.add(weight, tf.zerosLike(logProbs)) as tf.Tensor2D, cispoClipped };
    }
    case 'sapo': {
      const tau = tf.where(tf.greater(adv, 0), tf.fill(adv.shape, inputs.sapoTemperaturePos), tf.fill(adv.shape, inputs.sapoTemperatureNeg));
      const gate = tf.div(tf.mul(tf.sigmoid(tf.mul(tau, tf.sub(ratio, 1))), 4), tau) as tf.Tensor2D; // [B, T]
      return { ...none, loss: tf.neg(tf.mul(gate, adv)) as tf.Tensor2D, weight: stopGradient(gate) };
    }
    case 'vespo': {
      const phi = vespoGammaWeights(inputs.tokenLogRatio, inputs.mask, adv, inputs.vespo, inputs.vespoSamplingLogWeight); // [B, 1]
      const loss = tf.neg(tf.mul(tf.mul(phi, adv), logProbs)) as tf.Tensor2D;
      return { ...none, loss, weight: tf.add(phi, tf.zerosLike(logProbs)) as tf.Tensor2D, phi: phi.reshape([-1]) as tf.Tensor1D };
    }
    default: {
      const clipped = tf.clipByValue(ratio, 1 - epsilonLow, 1 + epsilonHigh);
      // Two-sided clipping caps only the unclipped branch, after the clipped one was taken from r.
      const unclipped = inputs.delta === null ? ratio : tf.minimum(ratio, inputs.delta);
      const loss = tf.neg(tf.minimum(tf.mul(unclipped, adv), tf.mul(clipped, adv))) as tf.Tensor2D;
      const r = stopGradient(unclipped);
      const lowClipped = indicator(tf.logicalAnd(tf.less(r, 1 - epsilonLow), tf.less(adv, 0)));
      const highClipped = indicator(tf.logicalAnd(tf.greater(r, 1 + epsilonHigh), tf.greater(adv, 0)));
      return { ...none, loss, lowClipped, highClipped };
    }
  }
}
