/**
 * The GRPO configuration: one zod schema is the single source of defaults, types and help text
 * (`--help` and docs/configuration.md are generated from it). Field names are TRL's `GRPOConfig`
 * names camelCased; each description ends with `(TRL: snake_name)` so users can map configs one to
 * one. Defaults follow the reference pipeline (TRL of early 2025), see shared spec grpo.md.
 */
import { z } from 'zod';
import { GRPOConfigError } from './errors.js';
import { checkRolloutConfig, RolloutConfigShape } from './rollout/config.js';
import { LOSS_TYPES } from './policy-terms.js';
import { FLOAT32_MAX, FLOAT32_MIN_NORMAL } from './weight-check.js';

const positive = () => z.number().positive();
const nonNegative = () => z.number().nonnegative();
const positiveInt = () => z.number().int().positive();
const probability = () => z.number().min(0).max(1);
/** [0, 1) as torch.optim.AdamW requires of its betas (β2 = 1 makes the bias correction 1 − β2^t zero). */
const adamBeta = () => z.number().min(0, { error: 'must be in [0, 1)' }).lt(1, { error: 'must be in [0, 1) (as torch.optim.AdamW; 1 makes the bias correction 1 − β^t zero)' });

/**
 * The smallest sampling temperature: logits are divided by it in float32, so logits up to 1e4 in
 * magnitude (trained LMs stay within a few hundred) must stay below FLOAT32_MAX; below it
 * logits/temperature overflows to Inf and every log-prob is NaN.
 */
export const MIN_TEMPERATURE = 1e4 / FLOAT32_MAX;

/** TRL still maps a boolean `scale_rewards` (GRPOConfig.__post_init__): true = "group", false = "none". */
const scaleRewards = z.preprocess(
  (v) => (v === true ? 'group' : v === false ? 'none' : v),
  z.enum(['group', 'batch', 'none']),
);

/** The zod schema of every trainer option; `z.input` is what users write, `z.output` is resolved. */
export const GRPOConfigSchema = z
  .object({
    outputDir: z.string().min(1).default('outputs/grpo').describe(
      'Folder for checkpoints (checkpoint-<step>/), completions.jsonl and the final adapter. (TRL: output_dir)'),
    overwriteOutputDir: z.boolean().default(false).describe(
      'Let a new run (not a resume) start in an outputDir that holds another run\'s checkpoints or run files by deleting them first; false = refuse. (TRL: overwrite_output_dir)'),
    runName: z.string().nullable().default(null).describe(
      'Name of the run shown by trackers; null = the output folder name. (TRL: run_name)'),
    seed: z.number().int().nonnegative().default(42).describe(
      'Fixes data order and every sampling seed (derived from seed, step, micro-step), so a resumed run reproduces the uninterrupted one. (TRL: seed)'),

    learningRate: positive().max(FLOAT32_MAX, { error: `must be in (0, ${FLOAT32_MAX}] (a float32)` }).default(1e-5).describe('Peak AdamW learning rate. (TRL: learning_rate)'),
    adamBeta1: adamBeta().default(0.9).describe('AdamW first-moment decay β1. (TRL: adam_beta1)'),
    adamBeta2: adamBeta().default(0.999).describe('AdamW second-moment decay β2. (TRL: adam_beta2)'),
    adamEpsilon: z.number().min(FLOAT32_MIN_NORMAL, { error: `must be in [${FLOAT32_MIN_NORMAL}, ${FLOAT32_MAX}]: a smaller epsilon is 0 or denormal in float32, and AdamW divides 0 by it where a gradient is 0` })
      .max(FLOAT32_MAX, { error: `must be in [${FLOAT32_MIN_NORMAL}, ${FLOAT32_MAX}] (a float32)` }).default(1e-8).describe(
      'AdamW denominator epsilon; at least the smallest normal float32 (torch allows 0, which gives 0/0 where a gradient is 0). (TRL: adam_epsilon)'),
    weightDecay: nonNegative().default(0).describe(
      'Decoupled AdamW weight decay applied to every trainable variable; learningRate × weightDecay must be <= 1. (TRL: weight_decay)'),
    lrSchedulerType: z.enum(['linear', 'cosine', 'constant']).default('linear').describe(
      'Learning-rate schedule after warmup: linear decay to 0, half-cosine to 0, or constant. (TRL: lr_scheduler_type)'),
    warmupSteps: z.number().int().nonnegative().default(0).describe(
      'Linear warmup steps from 0 to learningRate; overrides warmupRatio when > 0. (TRL: warmup_steps)'),
    warmupRatio: probability().default(0).describe(
      'Warmup as a fraction of the total optimizer steps (rounded up). (TRL: warmup_ratio)'),
    maxGradNorm: nonNegative().default(1).describe(
      'Clip the global L2 norm of the accumulated gradient to this; 0 = no clipping. (TRL: max_grad_norm)'),
    maxConsecutiveSkippedSteps: z.number().int().nonnegative().default(10).describe(
      'Stop with an error after this many optimizer steps in a row were skipped (NaN/Inf loss or gradients, or an update rolled back because it made a weight NaN/Inf or exploded); 0 = never stop. (TRL: none)'),

    perDeviceTrainBatchSize: positiveInt().default(1).describe(
      'Prompts per micro-batch; each is repeated numGenerations times. (TRL: per_device_train_batch_size, counted in completions there, not prompts)'),
    gradientAccumulationSteps: positiveInt().default(4).describe(
      'Micro-batches whose gradients are summed before one optimizer step; one generation batch. (TRL: gradient_accumulation_steps)'),
    numTrainEpochs: positive().default(1).describe(
      'Passes over the training prompts; used when maxSteps is -1. (TRL: num_train_epochs)'),
    maxSteps: z.number().int().min(-1).default(-1).describe(
      'Total optimizer steps; -1 = derived from numTrainEpochs. (TRL: max_steps)'),

    shuffleDataset: z.boolean().default(true).describe(
      'Take the training prompts in a seeded random order, a new one each epoch; false = dataset order. (TRL: shuffle_dataset)'),
    stepsPerGeneration: positiveInt().nullable().default(null).describe(
      'Micro-batches per generation batch (one generate call); null = gradientAccumulationSteps, one generation per optimizer step. A multiple k of gradientAccumulationSteps spreads one generation over k optimizer steps, each on its own micro-batches against the old log-probs of generation time; exclusive with generationBatchSize. (TRL: steps_per_generation)'),
    generationBatchSize: positiveInt().nullable().default(null).describe(
      'Completions per generation batch; null = perDeviceTrainBatchSize × numGenerations × stepsPerGeneration. A multiple of perDeviceTrainBatchSize × numGenerations × gradientAccumulationSteps; exclusive with stepsPerGeneration. (TRL: generation_batch_size)'),
    numGenerations: z.number().int().min(2).default(2).describe(
      'Completions sampled per prompt (the group size G). (TRL: num_generations)'),
    maxPromptLength: positiveInt().nullable().default(128).describe(
      'Prompt tokens kept (left-truncated); null = no limit. (TRL: max_prompt_length)'),
    maxCompletionLength: positiveInt().default(128).describe(
      'Maximum new tokens per completion. (TRL: max_completion_length)'),
    temperature: z.number().min(MIN_TEMPERATURE, { error: `must be >= ${MIN_TEMPERATURE.toPrecision(3)}: logits are divided by it in float32, and below that logits of magnitude 1e4 overflow to Inf` }).default(0.9).describe(
      `Sampling temperature; log-probs use the same temperature. At least ${MIN_TEMPERATURE.toPrecision(3)} (below it logits/temperature overflows float32). (TRL: temperature)`),
    topP: z.number().gt(0).max(1).default(1).describe('Nucleus sampling mass; 1 = off. (TRL: top_p)'),
    topK: z.number().int().nonnegative().nullable().default(null).describe(
      'Keep only the k most likely tokens; null or 0 = off. (TRL: top_k)'),

    beta: nonNegative().default(0.04).describe(
      'KL coefficient against the adapter-disabled reference; 0 skips the reference pass. (TRL: beta)'),
    epsilon: positive().default(0.2).describe('Lower clipping range ε of the ratio. (TRL: epsilon)'),
    epsilonHigh: positive().nullable().default(null).describe(
      'Upper clipping range; null = epsilon. (TRL: epsilon_high)'),
    numIterations: positiveInt().default(1).describe(
      'Optimizer steps per generation batch (μ); > 1 reuses the old log-probs. (TRL: num_iterations)'),
    importanceSamplingLevel: z.enum(['token', 'sequence']).default('token').describe(
      'Importance ratio per token (GRPO) or one per completion from the mean log-ratio (GSPO). (TRL: importance_sampling_level)'),
    lossType: z.enum(LOSS_TYPES).default('grpo').describe(
      'Loss formulation: the clipped surrogate aggregated per sequence (grpo), per token of the micro-batch (bnpo), by a constant (dr_grpo), per token of the generation batch (dapo) or by row length (luspo, needs importanceSamplingLevel "sequence"); CISPO\'s clipped weight on log π (cispo), SAPO\'s soft gate (sapo) or VESPO\'s Gamma weight (vespo). See docs/rl.md. (TRL: loss_type)'),
    delta: positive().nullable().default(null).describe(
      'Two-sided clipping (INTELLECT-2): cap the unclipped ratio at delta, recommended > 1 + epsilon; null = one-sided. (TRL: delta)'),
    sapoTemperaturePos: positive().default(1.0).describe(
      'SAPO gate temperature for tokens with a positive advantage. (TRL: sapo_temperature_pos)'),
    sapoTemperatureNeg: positive().default(1.05).describe(
      'SAPO gate temperature for tokens with a non-positive advantage. (TRL: sapo_temperature_neg)'),
    vespoKPos: nonNegative().default(2.0).describe(
      'VESPO power exponent k for non-negative advantages (down-weights ratios < 1). (TRL: vespo_k_pos)'),
    vespoLambdaPos: nonNegative().default(3.0).describe(
      'VESPO decay λ for non-negative advantages (down-weights ratios > 1). (TRL: vespo_lambda_pos)'),
    vespoKNeg: nonNegative().default(3.0).describe(
      'VESPO power exponent k for negative advantages. (TRL: vespo_k_neg)'),
    vespoLambdaNeg: nonNegative().default(2.0).describe(
      'VESPO decay λ for negative advantages. (TRL: vespo_lambda_neg)'),
    topEntropyQuantile: probability().default(1).describe(
      'Keep in the policy term only the top-ρ quantile of completion tokens by entropy ("Beyond the 80/20 rule", 0.2 recommended); 1 = every token, 0 = the highest-entropy token only. (TRL: top_entropy_quantile)'),
    entropyCoef: z.number().default(0).describe(
      'Entropy bonus: the loss becomes L − entropyCoef × H, H the mean per-token entropy of the selected completion tokens over the optimizer step (the same for every lossType); 0 = off, at no cost. With useAdaptiveEntropy, the initial coefficient. (TRL: entropy_coef)'),
    useAdaptiveEntropy: z.boolean().default(false).describe(
      'Skywork-OR1 adaptive entropy control: after each optimizer step entropyCoef moves by entropyCoefDelta (up when the step\'s entropy ≤ entropyTarget, else down, within [entropyCoefMin, entropyCoefMax]); the bonus applies only on steps after one whose entropy was ≤ entropyTarget. (TRL: use_adaptive_entropy)'),
    entropyCoefMin: z.number().default(0).describe(
      'Lower bound of the adaptive entropy coefficient. (TRL: entropy_coef_min)'),
    entropyCoefMax: z.number().default(1).describe(
      'Upper bound of the adaptive entropy coefficient. (TRL: entropy_coef_max)'),
    entropyCoefDelta: nonNegative().default(0.005).describe(
      'Step of the adaptive entropy coefficient per optimizer step. (TRL: entropy_coef_delta)'),
    entropyTarget: z.number().default(0.2).describe(
      'Target mean per-token entropy (nats) of adaptive entropy control, over the same tokens as the policy term (the topEntropyQuantile selection); language models start around 2–10, so 0.2 acts only on a near collapse. (TRL: entropy_target)'),
    offPolicyMaskThreshold: positive().nullable().default(null).describe(
      'Drop from the policy term the completions with a negative advantage whose mean log π_old − log π_θ exceeds this (DeepSeek-V3.2 off-policy sequence mask, e.g. 0.5); null = off. (TRL: off_policy_mask_threshold)'),
    useBiasCorrectionKl: z.boolean().default(false).describe(
      'Multiply the k3 KL estimate by the importance ratio (DeepSeek-V3.2 unbiased KL). (TRL: use_bias_correction_kl)'),
    scaleRewards: scaleRewards.default('group').describe(
      'Divide advantages by the group std ("group"), the whole batch std ("batch") or not ("none"). (TRL: scale_rewards)'),
    rewardWeights: z.array(z.number()).nullable().default(null).describe(
      'One weight per reward function; null = all 1. (TRL: reward_weights)'),
    multiObjectiveAggregation: z.enum(['sum_then_normalize', 'normalize_then_sum']).default('sum_then_normalize').describe(
      'sum_then_normalize: weight and sum the rewards, then scale as scaleRewards says. normalize_then_sum (GDPO): normalize each reward function within its group, weight and sum, then normalize over the batch (scaleRewards is not used). (TRL: multi_objective_aggregation)'),
    maskTruncatedCompletions: z.boolean().default(false).describe(
      'Exclude completions cut at maxCompletionLength from the loss. (TRL: mask_truncated_completions)'),
    dropZeroVarianceGroups: z.boolean().default(false).describe(
      'DAPO dynamic sampling: drop groups whose rewards are all equal (no learning signal) from the loss. (TRL: none; DAPO paper)'),
    logprobChunkSize: positiveInt().nullable().default(null).describe(
      'Rows per log-prob forward chunk to bound memory; null = all rows at once. (TRL: none)'),

    loggingSteps: positiveInt().default(10).describe(
      'Log metrics averaged over this many optimizer steps. (TRL: logging_steps)'),
    saveSteps: z.number().int().nonnegative().default(50).describe(
      'Write checkpoint-<step> every this many steps; 0 = only at the end. (TRL: save_steps)'),
    saveTotalLimit: positiveInt().nullable().default(null).describe(
      'Keep at most this many checkpoints (oldest deleted); null = all. (TRL: save_total_limit)'),
    evalSteps: z.number().int().nonnegative().default(20).describe(
      'Evaluate every this many steps and at the end; 0 = only at the end. (TRL: eval_steps)'),
    perDeviceEvalBatchSize: positiveInt().default(8).describe(
      'Prompts per greedy generation call during evaluation. (TRL: per_device_eval_batch_size)'),
    evalMaxSamples: positiveInt().nullable().default(null).describe(
      'Evaluate on the first N eval rows only, at every evaluation; null = all. (TRL: none)'),
    periodicEvalSamples: positiveInt().nullable().default(null).describe(
      'Periodic evaluations (every evalSteps) use a fixed seeded sample of this many eval rows, the same rows each time; the final evaluation uses every row. ' +
        'null = every row at every evaluation, as the reference run (its full 1319-row GSM8K eval takes about 7.6 min, as long as ~47 training steps; docs/rl.md). (TRL: none)'),
    logCompletions: z.boolean().default(true).describe(
      'Write (step, prompt, completion, rewards, advantage) rows to completions.jsonl and the tracker at each log. (TRL: log_completions)'),
    logUniquePrompts: z.boolean().default(false).describe(
      'Send the tracker one completion per distinct prompt (the first of its group); completions.jsonl keeps every row. (TRL: log_unique_prompts)'),
    numCompletionsToPrint: z.number().int().nonnegative().default(8).describe(
      'Completions sent to the tracker per log (the local file gets the whole step). (TRL: num_completions_to_print)'),

    ...RolloutConfigShape,
  })
  .strict();

/** What a user writes: every field optional. */
export type GRPOConfigInput = z.input<typeof GRPOConfigSchema>;
/** The resolved config the trainer runs on: every field present. */
export type GRPOConfig = z.output<typeof GRPOConfigSchema>;

/**
 * Validates `input` and fills defaults. Throws GRPOConfigError naming every bad field
 * (unknown keys too, so a typo such as `learning_rate` is caught instead of silently ignored).
 */
export function parseGRPOConfig(input: unknown = {}): GRPOConfig {
  const result = GRPOConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : '(config)';
      const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.join(', ')}` : '';
      return `  ${field}:${keys} ${issue.message}`;
    });
    throw new GRPOConfigError(
      `Invalid GRPO config:\n${lines.join('\n')}\nSee docs/configuration.md for every field, its type and default.`,
    );
  }
  const config = result.data;
  if (config.epsilonHigh !== null && config.epsilonHigh < config.epsilon) {
    throw new GRPOConfigError(
      `Invalid GRPO config: epsilonHigh (${config.epsilonHigh}) must be >= epsilon (${config.epsilon}); set it to null to use epsilon.`,
    );
  }
  if (config.stepsPerGeneration !== null && config.generationBatchSize !== null) {
    throw new GRPOConfigError('Invalid GRPO config: set stepsPerGeneration or generationBatchSize, not both (TRL: they are mutually exclusive).');
  }
  const microCompletions = config.perDeviceTrainBatchSize * config.numGenerations;
  if (config.stepsPerGeneration !== null && config.stepsPerGeneration % config.gradientAccumulationSteps !== 0) {
    throw new GRPOConfigError(
      `Invalid GRPO config: stepsPerGeneration (${config.stepsPerGeneration}) must be a multiple of gradientAccumulationSteps (${config.gradientAccumulationSteps}): a generation batch serves whole optimizer steps.`,
    );
  }
  if (config.generationBatchSize !== null && config.generationBatchSize % (microCompletions * config.gradientAccumulationSteps) !== 0) {
    throw new GRPOConfigError(
      `Invalid GRPO config: generationBatchSize (${config.generationBatchSize}) must be a multiple of perDeviceTrainBatchSize × numGenerations × gradientAccumulationSteps (${microCompletions * config.gradientAccumulationSteps} completions, one optimizer step).`,
    );
  }
  if (config.lossType === 'luspo' && config.importanceSamplingLevel !== 'sequence') {
    throw new GRPOConfigError(
      'Invalid GRPO config: lossType "luspo" scales each completion\'s sequence-level loss by its length and needs importanceSamplingLevel "sequence" (TRL only warns; at the token level its luspo averages over the padding positions, so the loss would depend on the padding width).',
    );
  }
  if (config.useAdaptiveEntropy && config.entropyCoefMin > config.entropyCoefMax) {
    throw new GRPOConfigError(
      `Invalid GRPO config: entropyCoefMin (${config.entropyCoefMin}) must be <= entropyCoefMax (${config.entropyCoefMax}) with useAdaptiveEntropy.`,
    );
  }
  if (config.learningRate * config.weightDecay > 1) {
    throw new GRPOConfigError(
      `Invalid GRPO config: learningRate × weightDecay (${config.learningRate} × ${config.weightDecay}) must be <= 1: AdamW multiplies every weight by 1 − learningRate × weightDecay each step, and a negative factor flips and (below −1) grows them.`,
    );
  }
  checkRolloutConfig(config);
  return config;
}

/** The fields that fix how many optimizer steps one generation batch serves (a saved config may lack the newer ones). */
type GenerationLayout = Partial<
  Pick<GRPOConfig, 'numIterations' | 'stepsPerGeneration' | 'generationBatchSize' | 'gradientAccumulationSteps' | 'perDeviceTrainBatchSize' | 'numGenerations'>
>;

/** Micro-batches per generation batch: stepsPerGeneration, or generationBatchSize in micro-batches, else gradientAccumulationSteps. */
export function resolvedStepsPerGeneration(config: GenerationLayout): number {
  const accumulation = config.gradientAccumulationSteps ?? 1;
  if (config.stepsPerGeneration) return config.stepsPerGeneration;
  if (config.generationBatchSize) return config.generationBatchSize / ((config.perDeviceTrainBatchSize ?? 1) * (config.numGenerations ?? 1));
  return accumulation;
}

/** Optimizer steps one generation batch serves on distinct micro-batches (k = stepsPerGeneration / gradientAccumulationSteps). */
export function optimizerStepsPerGeneration(config: GenerationLayout): number {
  return resolvedStepsPerGeneration(config) / (config.gradientAccumulationSteps ?? 1);
}

/** Optimizer steps per generation batch in all: k × numIterations (TRL generates every steps_per_generation × num_iterations micro-steps). */
export function stepsPerGenerationBatch(config: GenerationLayout): number {
  return optimizerStepsPerGeneration(config) * (config.numIterations ?? 1);
}

/** Upper clipping range actually used: epsilonHigh, or epsilon when it is null. */
export function resolvedEpsilonHigh(config: GRPOConfig): number {
  return config.epsilonHigh ?? config.epsilon;
}
