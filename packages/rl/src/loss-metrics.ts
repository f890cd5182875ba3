/**
 * The token statistics TRL 1.9 logs from one micro-batch's loss (the metric block at the end of
 * GRPOTrainer._compute_loss): kl, entropy, clip_ratio/* of the clipped loss types,
 * cispo_clip_ratio, vespo/phi_seq_mean. A quantity that is one value per row (the ratio at the
 * "sequence" level, VESPO's φ) is averaged over rows, a per-token one over the masked tokens.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PerTokenLossOutput } from './loss.js';

/** One micro-batch's statistics; null where the loss type or options do not produce it. */
export interface TokenMetrics {
  kl: number | null;
  entropy: number | null;
  lowClip: number | null;
  highClip: number | null;
  regionClip: number | null;
  /** min over rows of the row's share of low-clipped tokens (TRL clip_ratio/low_min). */
  lowClipMin: number | null;
  /** max over rows of the row's share of high-clipped tokens (TRL clip_ratio/high_max). */
  highClipMax: number | null;
  cispoClip: number | null;
  phiSeq: number | null;
}

/** What the statistics are computed from; tensors [B, T] (the caller keeps owning them). */
export interface TokenMetricsInputs {
  loss: Pick<PerTokenLossOutput, 'kl' | 'lowClipped' | 'highClipped' | 'cispoClipped' | 'phi'>;
  mask: tf.Tensor2D;
  entropy: tf.Tensor2D | null;
  /** The clip indicators exist (grpo, bnpo, dr_grpo, dapo, luspo). */
  clipped: boolean;
  importanceSamplingLevel: 'token' | 'sequence';
}

/** TRL's statistics of one micro-batch as numbers (see the file comment). */
export function tokenMetrics(inputs: TokenMetricsInputs): TokenMetrics {
  const { loss, mask, clipped } = inputs;
  const perRow = inputs.importanceSamplingLevel === 'sequence' && mask.shape[1] > 0;
  let result: TokenMetrics | null = null;
  tf.tidy(() => {
    const tokenMean = (x: tf.Tensor2D) => tf.div(tf.sum(tf.mul(x, mask)), tf.maximum(tf.sum(mask), 1)).dataSync()[0];
    // The ratio-based indicators are constant along a row at the sequence level: TRL keeps them [B, 1].
    const ratioMean = (x: tf.Tensor2D) => (perRow ? tf.mean(x.slice([0, 0], [-1, 1])).dataSync()[0] : tokenMean(x));
    /** Per row: the share of its tokens (NaN for a row without tokens, skipped as TRL's nanmin/nanmax do). */
    const rowShares = (x: tf.Tensor2D): number[] =>
      Array.from((perRow ? x.slice([0, 0], [-1, 1]).reshape([-1]) : tf.div(tf.sum(tf.mul(x, mask), 1), tf.sum(mask, 1))).dataSync()).filter(
        (v) => !Number.isNaN(v),
      );
    let clip: Pick<TokenMetrics, 'lowClip' | 'highClip' | 'regionClip' | 'lowClipMin' | 'highClipMax'> = {
      lowClip: null,
      highClip: null,
      regionClip: null,
      lowClipMin: null,
      highClipMax: null,
    };
    if (clipped) {
      const low = rowShares(loss.lowClipped);
      const high = rowShares(loss.highClipped);
      clip = {
        lowClip: ratioMean(loss.lowClipped),
        highClip: ratioMean(loss.highClipped),
        regionClip: ratioMean(tf.minimum(tf.add(loss.lowClipped, loss.highClipped), 1) as tf.Tensor2D),
        lowClipMin: low.length ? Math.min(...low) : null,
        highClipMax: high.length ? Math.max(...high) : null,
      };
    }
    result = {
      kl: loss.kl ? tokenMean(loss.kl) : null,
      entropy: inputs.entropy ? tokenMean(inputs.entropy) : null,
      ...clip,
      cispoClip: loss.cispoClipped ? ratioMean(loss.cispoClipped) : null,
      phiSeq: loss.phi ? tf.mean(loss.phi).dataSync()[0] : null,
    };
  });
  return result as unknown as TokenMetrics;
}
