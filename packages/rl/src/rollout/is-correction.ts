/**
 * Importance-sampling correction for the sampler/trainer mismatch (TRL's
 * vllm_importance_sampling_correction): an inference server samples with slightly different
 * numerics (kernels, precision, batching) than the trainer computes, so the per-token loss is
 * weighted by ρ = π_trainer / π_sampler of the sampled tokens, bounded by [C_min, C_max] (either
 * bound may be absent; TRL 1.9 vllm_importance_sampling_clip_min / _clip_max):
 * - token_truncate:    ρ_t = clamp(exp(old_t − sampler_t), C_min, C_max) per token;
 * - token_mask:        ρ_t = exp(old_t − sampler_t), set to 0 where it is outside [C_min, C_max];
 * - sequence_truncate: one ρ per completion, clamp(exp(Σ_t M·(old − sampler)), C_min, C_max);
 * - sequence_mask:     one ρ per completion, exp(Σ_t M·(old − sampler)), 0 outside [C_min, C_max].
 * `old` are the trainer's log-probs of the sampled tokens at generation time; M the loss mask.
 * Host-side numbers: the ratios are constants of the loss (no gradient flows through them).
 */

/** TRL vllm_importance_sampling_mode. */
export type SamplingCorrectionMode = 'token_truncate' | 'token_mask' | 'sequence_truncate' | 'sequence_mask';

export const SAMPLING_CORRECTION_MODES: readonly SamplingCorrectionMode[] = ['token_truncate', 'token_mask', 'sequence_truncate', 'sequence_mask'];

/** The bounds of the ratio; null = unbounded on that side. */
export interface SamplingCorrectionBounds {
  min: number | null;
  max: number | null;
}

/** The correction of a batch: per-row ratios and TRL's sampling/* metrics. */
export interface SamplingCorrection {
  /** Per row, one ratio per completion token (a sequence mode repeats the row's ratio). */
  ratios: number[][];
  /** TRL's metric names: sampling/sampling_logp_difference/{mean,max}, sampling/importance_sampling_ratio/{min,mean,max}. */
  metrics: Record<string, number>;
}

/**
 * Computes the correction from the trainer's (`trainerLogProbs`) and the sampler's
 * (`samplerLogProbs`) log-probs of the same tokens, with `mask[i][t]` 1 where the token enters the
 * loss. Rows must have equal lengths across the three arrays; throws RangeError naming the row, or
 * the bound when C_min ≥ C_max or a truncate mode has neither bound (as TRL's GRPOConfig).
 * Metrics as TRL: |old − sampler| over masked tokens (mean, max; 0 when none); the ratio's min,
 * mean and max over masked tokens (token modes) or over rows (sequence modes).
 */
export function samplingCorrection(
  trainerLogProbs: readonly (readonly number[])[],
  samplerLogProbs: readonly (readonly number[])[],
  mask: readonly (readonly number[])[],
  mode: SamplingCorrectionMode,
  bounds: SamplingCorrectionBounds,
): SamplingCorrection {
  if (!SAMPLING_CORRECTION_MODES.includes(mode)) throw new RangeError(`samplingCorrection: mode "${mode}" is not one of ${SAMPLING_CORRECTION_MODES.join(', ')}.`);
  const { min, max } = bounds;
  for (const [name, value] of [['min', min], ['max', max]] as const) {
    if (value !== null && !(value >= 0 && Number.isFinite(value))) throw new RangeError(`samplingCorrection: bounds.${name} must be a finite number >= 0 or null, got ${value}.`);
  }
  if (min !== null && max !== null && min >= max) throw new RangeError(`samplingCorrection: bounds.min (${min}) must be less than bounds.max (${max}).`);
  if (min === null && max === null && mode.endsWith('truncate')) throw new RangeError(`samplingCorrection: mode "${mode}" needs bounds.min or bounds.max.`);
  if (samplerLogProbs.length !== trainerLogProbs.length || mask.length !== trainerLogProbs.length) {
    throw new RangeError(`samplingCorrection: ${trainerLogProbs.length} trainer rows, ${samplerLogProbs.length} sampler rows, ${mask.length} mask rows; expected the same number.`);
  }
  const sequence = mode.startsWith('sequence');
  const truncate = mode.endsWith('truncate');
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  const bound = (r: number) => (truncate ? Math.min(Math.max(r, lo), hi) : r < lo || r > hi ? 0 : r);
  const deltas: number[] = [];
  const seen: number[] = [];
  const ratios = trainerLogProbs.map((old, i) => {
    const sampler = samplerLogProbs[i];
    const m = mask[i];
    if (sampler.length !== old.length || m.length !== old.length) {
      throw new RangeError(`samplingCorrection: row ${i} has ${old.length} trainer, ${sampler.length} sampler and ${m.length} mask entries; expected one each per completion token.`);
    }
    const diff = old.map((o, t) => (o - sampler[t]) * m[t]);
    old.forEach((o, t) => m[t] !== 0 && deltas.push(Math.abs(o - sampler[t])));
    if (sequence) {
      const r = bound(Math.exp(diff.reduce((a, b) => a + b, 0)));
      seen.push(r);
      return diff.map(() => r);
    }
    return diff.map((d, t) => {
      const r = bound(Math.exp(d));
      if (m[t] !== 0) seen.push(r);
      return r;
    });
  });
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  const reduce = (xs: number[], f: (a: number, b: number) => number) => (xs.length === 0 ? 0 : xs.reduce((a, b) => f(a, b)));
  return {
    ratios,
    metrics: {
      'sampling/sampling_logp_difference/mean': mean(deltas),
      'sampling/sampling_logp_difference/max': reduce(deltas, Math.max),
      'sampling/importance_sampling_ratio/min': reduce(seen, Math.min),
      'sampling/importance_sampling_ratio/mean': mean(seen),
      'sampling/importance_sampling_ratio/max': reduce(seen, Math.max),
    },
  };
}
