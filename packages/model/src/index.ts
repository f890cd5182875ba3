// tfjs-core's declarations name the global `Long` of @types/long (a dependency of tfjs-core) without
// referencing it, so a consumer whose tsconfig lists `types` gets TS2304 in tfjs-core's hash_util.d.ts
// unless it is referenced here (`preserve` keeps the line in the emitted index.d.ts).
/// <reference types="long" preserve="true" />
// The types of tfjs-core's chained tensor methods (`x.sum()`), registered at runtime by
// runtime/backend.ts; kept in the emitted index.d.ts so code using the `tf` below sees them too.
export type {} from '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
export type * from './types.js';
export type { AdapterSwitch, Conv1DLayer } from './ops/linear.js';

/** The tfjs instance this package computes with; import it from here so tensors are shared. */
export * as tf from '@tensorflow/tfjs-core';

// Model core: backend, GPT-2, KV cache, generation, log-probs, checkpointing, CausalLM.
export { BackendError } from './runtime/backend.js';
export {
  type InitBackendOptions,
  type InitRuntimeOptions,
  type RuntimeStatus,
  initBackend,
  initRuntime,
  runtimeOptions,
} from './runtime/runtime.js';
export {
  ACCEL_FAMILIES,
  type AccelFamily,
  type AccelSwitches,
  type BackendName,
  type ResolvedRuntimeOptions,
  type RuntimeOptions,
  RuntimeOptionsError,
  runtimeOptionsFromEnv,
} from './runtime/runtime-options.js';
export { blasMatMulActive } from './runtime/accel.js';
export { registerWasmUnsortedSegmentSum, unsortedSegmentSumHost } from './runtime/unsorted-segment-sum.js';
export { type Conv1DFactory, type Conv1DSpec, DenseConv1D, type DenseConv1DOptions, DenseShapeError, denseConv1DFactory, frozenMatMul } from './ops/dense.js';
export { fillUniform, fmix32 } from './architectures/random-stream.js';
export { randomGPT2Tensors, writeRandomGPT2Checkpoint } from './architectures/gpt2/random-init.js';
export {
  type BlockWeights,
  GPT2InputError,
  GPT2Model,
  type GPT2ForwardOptions,
  type GPT2ForwardOutput,
  positionsFromMask,
} from './architectures/gpt2/model.js';
export { LMHead } from './ops/lm-head.js';
export { type LayerNormWeights, activation, layerNorm } from './ops/layers.js';
export { rmsNorm } from './ops/rms-norm.js';
export { ropeInverseFrequencies, rotaryHeads, rotaryTables } from './ops/rotary.js';
export { swiGlu } from './ops/swiglu.js';
export { attentionBias, causalSelfAttention, type AttentionShape, type AttentionWeights } from './ops/attention.js';
export { KVCache, KVCacheError } from './inference/kv-cache.js';
export { GenerateError, generate, leftPad } from './inference/generate.js';
export { Mulberry32, type SamplingOptions, argmax, sampleToken } from './inference/sampling.js';
export { LogProbsError, headLogProbs, tokenLogProbs } from './inference/logprobs.js';
export { checkpoint, layerTrainableVariables } from './ops/checkpointing.js';
export {
  type ArchitectureName,
  type CausalTransformer,
  type ForwardOptions,
  type ForwardOutput,
  type TransformerDims,
} from './transformer.js';
export {
  CausalLM,
  type LoadCausalLMOptions,
  type LoraOptions,
  type WeightMemoryReport,
  loadCausalLM,
} from './causal-lm.js';

// Architectures: config.json's `architectures` picks one; the Llama family is one folder.
export {
  type ModelConfig,
  SUPPORTED_ARCHITECTURES,
  maxPositionsOf,
  parseModelConfig,
  readModelConfig,
} from './architectures/index.js';
export {
  LLAMA_ARCHITECTURES,
  type Llama3RopeScaling,
  type LlamaConfig,
  type LlamaFamily,
  type LlamaShape,
  llamaConfigToJson,
  makeLlamaConfig,
  parseLlamaConfig,
} from './architectures/llama/config.js';
export { LlamaInputError, LlamaModel } from './architectures/llama/model.js';
export { LLAMA_DEFAULT_LORA_TARGETS, LLAMA_LINEAR_MODULES, llamaLinearModules, llamaTensorShapes } from './architectures/llama/weights.js';
export { type SaveLlamaModelOptions, saveLlamaModel } from './architectures/llama/save.js';
export { randomLlamaTensors, writeRandomLlamaCheckpoint } from './architectures/llama/random-init.js';
export { type GenerationDefaults, readGenerationDefaults } from './io/generation-config.js';

// Files and formats: safetensors, config.json, HF checkpoints, tokenizers, hub, saving.
export {
  CheckpointTensorError,
  ModelConfigError,
  ModelFileError,
  ModelFilesNotFoundError,
  SafetensorsFormatError,
  TokenizerFileError,
} from './io/errors.js';
export {
  type HostDType,
  type HostTensor,
  type WriteSafetensorsOptions,
  readSafetensors,
  readSafetensorsMetadata,
  shapeSize,
  writeSafetensors,
} from './io/safetensors.js';
export {
  GPT2_ACTIVATIONS,
  type GPT2Activation,
  type GPT2Config,
  gpt2ConfigToJson,
  gpt2InnerSize,
  makeGPT2Config,
  parseGPT2Config,
  readGPT2Config,
} from './architectures/gpt2/config.js';
export { readSafetensorsFolder } from './io/hf-folder.js';
export { canonicalGPT2Tensors, gpt2TensorShapes, toHFGPT2TensorNames } from './architectures/gpt2/weights.js';
export { type ModelSourceOptions, TOKENIZER_FILES, resolveModelFiles, resolveTokenizerFiles } from './io/hub-files.js';
export { atomicTempOwner, processAlive, removeStaleTempFiles, syncDir, writeFileAtomic, writeFileSynced } from './io/atomic-write.js';
export {
  type DecodeOptions,
  HFTextTokenizer,
  type SpecialTokens,
  type TextTokenizer,
  embeddedGPT2Tokenizer,
  gpt2TokenizerJsonFromBpe,
  loadTokenizer,
  tokenizerFromFiles,
} from './io/tokenizer.js';
export { type SaveHFModelOptions, gpt2GenerationConfig, saveHFModel } from './architectures/gpt2/save.js';
export {
  type LoraFileConfig,
  type PeftAdapterConfig,
  type SavePeftAdapterOptions,
  loadPeftAdapter,
  parsePeftAdapterConfig,
  peftAdapterConfigJson,
  savePeftAdapter,
} from './adapters/peft-files.js';

// LoRA adapters and quantized frozen weights.
export { LoraError, QuantizationError } from './adapters/errors.js';
export { LoraConv1D, type DropoutClock, type LoraLayerOptions, type ReadableConv1D, kaimingUniformBound } from './adapters/lora.js';
export {
  ALL_LINEAR,
  DEFAULT_LORA_TARGETS,
  GPT2_CONV1D_MODULES,
  type LinearModuleCatalog,
  expandAllLinear,
  gpt2LinearModules,
  collectPeftTensors,
  loadPeftTensors,
  peftNameToModulePath,
  peftPrefix,
  resolveLoraTargets,
} from './adapters/lora-targets.js';
export { type LoraMergeConfig, type LoraShape, addLoraDelta, mergeLoraIntoTensors, unmergeLoraFromTensors } from './adapters/merge.js';
export {
  NF4_BLOCK_SIZES,
  NF4_CODE,
  type NF4DoubleQuant,
  type NF4Options,
  type NF4Weights,
  dequantizeNF4,
  nf4StorageBytes,
  quantizeNF4,
} from './quant/nf4.js';
export { type Int8Weights, dequantizeInt8, int8StorageBytes, quantizeInt8 } from './quant/int8.js';
export { signedDynamicMap } from './quant/dynamic-map.js';
export {
  type QuantKind,
  type QuantizedConv1D,
  type QuantizedConv1DOptions,
  createQuantizedConv1D,
  quantizedConv1DBytes,
} from './quant/quantized-conv1d.js';
