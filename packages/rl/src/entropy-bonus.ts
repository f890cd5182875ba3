/**
 * TRL 1.9's entropy bonus (GRPOConfig entropy_coef and the Skywork-OR1 adaptive control):
 * the loss becomes L − c·H with H the mean per-token entropy of the policy over the tokens the
 * policy term uses, whatever the loss type's own normalization, and — with adaptive control — c
 * follows the step's measured entropy. Off (c = 0 and no adaptive control) nothing here runs and
 * the entropy stays a metric without gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GRPOConfig } from './config.js';
import type { AggregationContext, LossType } from './loss.js';

/** The options of the bonus (config fields of the same names). */
export type EntropyBonusOptions = Pick<
  GRPOConfig,
  'entropyCoef' | 'useAdaptiveEntropy' | 'entropyCoefMin' | 'entropyCoefMax' | 'entropyCoefDelta' | 'entropyTarget'
>;

/** Whether the loss has an entropy term (constant for a run, as TRL's `_entropy_bonus_enabled`). */
export function entropyBonusEnabled(options: Pick<EntropyBonusOptions, 'entropyCoef' | 'useAdaptiveEntropy'>): boolean {
  return options.entropyCoef !== 0 || options.useAdaptiveEntropy;
}

/** Loss types whose aggregation divides by the generation batch's token count instead of ÷ G. */
const TOKEN_NORMALIZED: readonly LossType[] = ['dapo', 'cispo', 'vespo'];

/**
 * The micro-batch's share of H: Σ H·M / (active tokens of the generation batch) for dapo, cispo and
 * vespo, Σ H·M / max(Σ M, 1) / G otherwise, so the shares of a step's micro-batches add up to the
 * step's mean entropy for every loss type. `mask` is the loss mask times the token selection
 * (top_entropy_quantile), as TRL's effective mask.
 */
export function entropyBonusTerm(lossType: LossType, entropy: tf.Tensor2D, mask: tf.Tensor2D, ctx: AggregationContext): tf.Scalar {
  return tf.tidy(() => {
    const total = tf.sum(tf.mul(entropy, mask));
    if (TOKEN_NORMALIZED.includes(lossType)) return tf.div(total, Math.max(ctx.activeTokensInGenerationBatch, 1)) as tf.Scalar;
    return tf.div(tf.div(total, tf.maximum(tf.sum(mask), 1)), ctx.gradientAccumulationSteps) as tf.Scalar;
  });
}

/**
 * TRL's `policy_loss` metric of one micro-batch: its policy loss before the ÷ G of the loss types
 * that divide by G (dapo, cispo and vespo are already normalized globally and are logged as they are).
 */
export function policyLossMetric(lossType: LossType, aggregated: number, gradientAccumulationSteps: number): number {
  return TOKEN_NORMALIZED.includes(lossType) ? aggregated : aggregated * gradientAccumulationSteps;
}

/** What a checkpoint keeps of the controller (TRL's entropy_ctrl_state.json); null = +∞ (no step measured yet). */
export interface EntropyControllerState {
  entropyCoef: number;
  lastWorldEntropy: number | null;
}

/**
 * The coefficient over a run. Constant without adaptive control. With it (Skywork-OR1): every
 * micro-batch of a step applies the coefficient left by the previous step, and only when that
 * step's entropy was ≤ entropyTarget (the first step's is +∞, so no bonus); after the step,
 * c ← min(c + δ, max) when the step's entropy (Σ H·M / Σ M over all its micro-batches) is
 * ≤ entropyTarget, else max(c − δ, min).
 */
export class EntropyController {
  private coef: number;
  private lastWorldEntropy = Number.POSITIVE_INFINITY;

  constructor(private readonly options: EntropyBonusOptions) {
    this.coef = options.entropyCoef;
  }

  /** The coefficient every micro-batch of the coming step multiplies H by. */
  appliedCoef(): number {
    if (!this.options.useAdaptiveEntropy) return this.coef;
    return this.lastWorldEntropy <= this.options.entropyTarget ? this.coef : 0;
  }

  /** The current coefficient (TRL logs it as `entropy_coef` after each optimizer step). */
  get entropyCoef(): number {
    return this.coef;
  }

  /** Ends an optimizer step whose micro-batches held `tokens` selected tokens of total entropy `entropySum`. */
  endStep(entropySum: number, tokens: number): void {
    if (!this.options.useAdaptiveEntropy) return;
    const o = this.options;
    const entropy = entropySum / Math.max(tokens, 1);
    this.coef = entropy <= o.entropyTarget ? Math.min(this.coef + o.entropyCoefDelta, o.entropyCoefMax) : Math.max(this.coef - o.entropyCoefDelta, o.entropyCoefMin);
    this.lastWorldEntropy = entropy;
  }

  state(): EntropyControllerState {
    return { entropyCoef: this.coef, lastWorldEntropy: Number.isFinite(this.lastWorldEntropy) ? this.lastWorldEntropy : null };
  }

  restore(state: EntropyControllerState): void {
    this.coef = state.entropyCoef;
    this.lastWorldEntropy = state.lastWorldEntropy ?? Number.POSITIVE_INFINITY;
  }
}
