export type * from './types.js';
export type { AdapterSwitch, Conv1DLayer } from './linear.js';

// Files and formats: safetensors, config.json, HF checkpoints, tokenizers, hub, saving (helper IO).
export {
  CheckpointTensorError,
  ModelConfigError,
  ModelFileError,
  ModelFilesNotFoundError,
  SafetensorsFormatError,
  TokenizerFileError,
} from './io-errors.js';
export {
  type HostDType,
  type HostTensor,
  type WriteSafetensorsOptions,
  readSafetensors,
  readSafetensorsMetadata,
  shapeSize,
  writeSafetensors,
} from './safetensors.js';
export {
  GPT2_ACTIVATIONS,
  type GPT2Activation,
  type GPT2Config,
  gpt2ConfigToJson,
  gpt2InnerSize,
  makeGPT2Config,
  parseGPT2Config,
  readGPT2Config,
} from './config.js';
export { canonicalGPT2Tensors, gpt2TensorShapes, readSafetensorsFolder, toHFGPT2TensorNames } from './hf-weights.js';
export { type ModelSourceOptions, TOKENIZER_FILES, resolveModelFiles, resolveTokenizerFiles } from './hub-files.js';
export {
  type DecodeOptions,
  HFTextTokenizer,
  type SpecialTokens,
  type TextTokenizer,
  embeddedGPT2Tokenizer,
  gpt2TokenizerJsonFromBpe,
  loadTokenizer,
  tokenizerFromFiles,
} from './tokenizer.js';
export { type SaveHFModelOptions, gpt2GenerationConfig, saveHFModel } from './save.js';
export {
  type LoraFileConfig,
  type PeftAdapterConfig,
  type SavePeftAdapterOptions,
  loadPeftAdapter,
  parsePeftAdapterConfig,
  peftAdapterConfigJson,
  savePeftAdapter,
} from './peft-files.js';
