/**
 * @grpojs/data: GSM8K loading (jsonl, HF parquet, hub download into the Python cache), chat
 * templates and seeded epoch sampling. No tfjs: rows are plain strings.
 */
export {
  DataError,
  DatasetFormatError,
  UnknownSplitError,
  HubOfflineError,
  HubUnreachableError,
  HubFileNotFoundError,
  HubAuthError,
} from './errors.js';
export {
  DEFAULT_HUB_ENDPOINT,
  hubCacheDir,
  hubDownload,
  hubEndpoint,
  hubOffline,
  hubRepoFolder,
  hubToken,
  type HubDownloadOptions,
  type HubRepoType,
} from './hub.js';
export { resolveLocalOrHub, type ResolveLocalOrHubOptions, type ResolvedFiles } from './local-or-hub.js';
export { UnsafePathError, assertHubRepoId, assertHubRevision, assertRelativeFileName, pathInside } from './safe-path.js';
export { FileAccessError, fileFailureMessage, isFileSystemFailure, withFileContext, withFileContextSync } from './file-io.js';
export {
  DEFAULT_CHAT_TEMPLATE,
  chatTemplateFromConfig,
  renderChatTemplate,
  specialTokensMap,
  type ChatMessage,
  type ChatTemplateOptions,
  type SpecialTokensMap,
} from './chat-template.js';
export { ChatTemplateLimitError, DEFAULT_CHAT_TEMPLATE_LIMITS, type ChatTemplateLimits } from './template-limits.js';
export {
  EpochSampler,
  epochSeed,
  Mulberry32,
  mulberry32,
  permutation,
  type Sampled,
  type SamplerOptions,
  type SamplerState,
} from './sampler.js';
export { locateSplit, type LocateSplitOptions, type SplitFiles, type SplitFormat } from './split-files.js';
export { readJsonl, type JsonlContents } from './jsonl.js';
export { readParquet } from './parquet.js';
export { RowProblems, type RawRecord, type RowLocation, type SkippedRow } from './records.js';
export { HOLDOUT_EPOCH, holdOut, type Holdout } from './holdout.js';
export {
  GSM8K_COLUMNS,
  GSM8K_HUB_ID,
  SYSTEM_PROMPT,
  gsm8kPrompt,
  loadGsm8k,
  type Gsm8kDataset,
  type Gsm8kExample,
  type Gsm8kStats,
  type LoadGsm8kOptions,
} from './gsm8k.js';
// Owned by @grpojs/rewards (one semantics for the GSM8K gold); re-exported for data users.
export { extractHashAnswer } from '@grpojs/rewards';
export {
  OPERATION_PHRASES,
  arithmeticCompletion,
  generateArithmeticProblems,
  type ArithmeticOperation,
  type ArithmeticProblem,
  type ArithmeticProblemOptions,
  type ArithmeticStep,
  type SolutionStyle,
} from './synthetic/index.js';
