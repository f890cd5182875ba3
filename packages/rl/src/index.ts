/**
 * @grpojs/rl: the GRPO trainer with TRL GRPOTrainer semantics for any PolicyModel (see docs/rl.md).
 * The narrow public surface: the config schema, the trainer, the model port it trains through
 * (PolicyModel), and the pure phases for reuse/testing.
 */
export {
  GRPOConfigSchema,
  MIN_TEMPERATURE,
  optimizerStepsPerGeneration,
  parseGRPOConfig,
  resolvedEpsilonHigh,
  resolvedStepsPerGeneration,
  stepsPerGenerationBatch,
  type GRPOConfig,
  type GRPOConfigInput,
} from './config.js';
export { describeGRPOConfig, renderConfigMarkdownTable, type ConfigFieldDoc } from './config-docs.js';
export { GRPOTrainer } from './trainer.js';
export type { GRPOTrainerOptions, TrainOptions, TrainResult } from './trainer-options.js';
export {
  evaluateModel,
  evaluateWithBase,
  evalMetrics,
  type AccuracyCheck,
  type EvalContext,
  type EvalReport,
  type EvalScores,
} from './evaluate.js';
export { EVAL_SAMPLE_EPOCH, periodicEvalIndices } from './eval-plan.js';
export { resolveRewardWeights, rewardNames } from './scoring.js';
export type {
  PolicyGenerateOptions,
  PolicyGenerateOutput,
  PolicyLogProbsOptions,
  PolicyLogProbsOutput,
  PolicyModel,
} from './policy-model.js';
export type { DatasetRow, PromptRow, TrainerTokenizer } from './types.js';
export { CheckpointError, GRPOConfigError, GRPOTrainerError, ShapeError, TrainingDivergedError } from './errors.js';
export {
  ADVANTAGE_STD_EPS,
  combineRewards,
  computeAdvantages,
  normalizeThenSumAdvantages,
  type AdvantageResult,
  type ScaleRewards,
} from './advantages.js';
export {
  aggregateLoss,
  CLIPPED_LOSS_TYPES,
  LOSS_TYPES,
  MAX_LOG_RATIO,
  maskedMean,
  perTokenLoss,
  SAPO_DEFAULTS,
  stopGradient,
  VESPO_DEFAULTS,
  vespoSamplingLogWeight,
  type AggregationContext,
  type LossType,
  type PerTokenLossInputs,
  type PerTokenLossOutput,
  type VespoParams,
} from './loss.js';
export { tokenMetrics, type TokenMetrics, type TokenMetricsInputs } from './loss-metrics.js';
export { highEntropyMask, offPolicySequenceMask, quantile } from './token-selection.js';
export { AdamW, type AdamWOptions, type AdamWState } from './optimizer.js';
export { clipByGlobalNorm, globalNorm } from './gradients.js';
export { learningRateAt, resolveWarmupSteps, type ScheduleOptions } from './schedule.js';
export { latestCheckpoint, listCheckpoints, loadCheckpoint, type TrainerState } from './checkpoint.js';
export { prepareOutputDir, TRAINER_RUN_FILES, type PrepareOutputDirOptions } from './output-dir.js';
export { hashRows, RESUMABLE_CONFIG_FIELDS, type RunIdentity } from './run-identity.js';
export { TIMING_METRICS } from './metrics.js';
export { deriveSeed } from './rng.js';
export { SFTConfigSchema, SFTTrainer, parseSFTConfig, splitAtLoss, tokenizeRow, type MessagesRenderer, type PromptCompletion, type SFTConfig, type SFTConfigInput, type SFTMessage, type SFTModel, type SFTRow, type SFTTokenizer, type SFTTrainResult, type SFTTrainerOptions, type TokenizedRow } from './sft/index.js';
export type { RolloutBackend, SampleRequest, SampleResult } from './rollout/backend.js';
export { LocalRollout } from './rollout/local.js';
export { ServerRollout, type ServerRolloutOptions, type WeightSync } from './rollout/server.js';
export { createRolloutBackend } from './rollout/create.js';
export { RolloutConfigShape } from './rollout/config.js';
export { NoRolloutServerLeftError, RolloutServerError } from './rollout/errors.js';
export { SAMPLING_CORRECTION_MODES, samplingCorrection, type SamplingCorrection, type SamplingCorrectionMode } from './rollout/is-correction.js';
export {
  CompletionChoiceSchema,
  CompletionLogProbsSchema,
  CompletionResponseSchema,
  completionsBody,
  loadLoraBody,
  readCompletionRows,
  unloadLoraBody,
  updateWeightsFromDiskBody,
  type CompletionResponse,
  type CompletionsParams,
} from './rollout/completions-api.js';
