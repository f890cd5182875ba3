/**
 * grpojs: one install for GRPO fine-tuning in TypeScript. Re-exports the public API of every
 * package (flat, and as the namespaces `data`, `model`, `rewards`, `rl`, `tracking` for when a name
 * is ambiguous) and adds the one-call `train(config)`.
 */
export * from '@grpojs/data';
export * from '@grpojs/model';
export * from '@grpojs/rewards';
export * from '@grpojs/rl';
export * from '@grpojs/tracking';
export * as data from '@grpojs/data';
export * as model from '@grpojs/model';
export * as rewards from '@grpojs/rewards';
export * as rl from '@grpojs/rl';
export * as tracking from '@grpojs/tracking';

export { HubUnavailableError, PromptFormatError, TrainConfigError, UnwritableFolderError, type ConfigIssue } from './errors.js';
export {
  DataOptionsSchema,
  JobOptionsSchema,
  ModelOptionsSchema,
  OutputOptionsSchema,
  TrainConfigSchema,
  configIssues,
  defaultOutputDir,
  parseTrainConfig,
  splitTrainConfig,
  type JobOptions,
  type TrainConfig,
  type TrainConfigInput,
} from './job-options.js';
export { evaluate, type EvaluateOptions } from './evaluate.js';
export { checkWritableFolder } from './preflight.js';
export { serve, type RunningServer, type ServeOptions } from './serve/server.js';
export { gsm8kExactMatch } from './gsm8k-check.js';
export { JOB_RUN_FILES, RESUMABLE_JOB_FIELDS, modelIdentity } from './run-continuity.js';
export {
  isHubFailure,
  jobTokenizerName,
  loadJobData,
  loadJobModel,
  renderPrompts,
  withTokenizer,
  type CausalLMWithTokenizer,
  type JobData,
  type LoadJobDataOptions,
} from './load.js';
export {
  PROMPT_FORMATS,
  renderPrompt,
  resolvePromptFormat,
  type PromptFormat,
  type PromptTokenizer,
  type ResolvedPromptFormat,
} from './prompt-format.js';
export {
  answerQuestion,
  loadTrainedModel,
  recordedPromptFormat,
  type Answer,
  type AnswerOptions,
  type LoadTrainedModelOptions,
  type TrainedModel,
} from './saved-model.js';
export { CHATML_TEMPLATE, writeTinyGPT2, writeTinyLlama, type TinyGPT2Options, type TinyLlamaOptions } from './tiny-model.js';
export { reportSummary, train, type TrainHooks, type TrainReport } from './train.js';
export { jobSecrets } from './secrets.js';
