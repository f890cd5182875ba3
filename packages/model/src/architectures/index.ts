/**
 * The supported architectures and the one place that tells them apart: config.json's
 * `architectures[0]` (or `model_type`) picks the config parser, the weight checks, the model
 * class, the LoRA module catalog and the saver. Adding an architecture (Mistral, Gemma) means one
 * folder beside llama/ and one entry here.
 */
import { type GPT2Config, parseGPT2Config } from './gpt2/config.js';
import type { Conv1DFactory } from '../ops/dense.js';
import { GPT2Model } from './gpt2/model.js';
import { canonicalGPT2Tensors } from './gpt2/weights.js';
import { readConfigJson } from '../io/config-json.js';
import { ModelConfigError } from '../io/errors.js';
import { type LinearModuleCatalog, gpt2LinearModules } from '../adapters/lora-targets.js';
import type { HostTensor } from '../io/safetensors.js';
import { saveHFModel } from './gpt2/save.js';
import type { TextTokenizer } from '../io/tokenizer.js';
import type { CausalTransformer } from '../transformer.js';
import { LLAMA_ARCHITECTURES, type LlamaConfig, llamaFamilyOf, parseLlamaConfig } from './llama/config.js';
import { LlamaModel } from './llama/model.js';
import { saveLlamaModel } from './llama/save.js';
import { type LlamaLinearModule, checkLlamaTensors, llamaLayerPrefix, llamaLinearModules, llamaLinearShape } from './llama/weights.js';
import { transposeHost } from '../io/host-transpose.js';

/** A model folder's validated config, tagged by architecture. */
export type ModelConfig = { kind: 'gpt2'; config: GPT2Config } | { kind: 'llama'; config: LlamaConfig };

/** `architectures[0]` values that load. */
export const SUPPORTED_ARCHITECTURES = ['GPT2LMHeadModel', ...Object.keys(LLAMA_ARCHITECTURES)] as const;

/**
 * Parses a config.json object into the architecture's config. A config with neither
 * `architectures` nor `model_type` is read as GPT-2 (transformers' GPT2Config defaults).
 * @throws ModelConfigError naming `source` and the field for an unknown architecture or an invalid value.
 */
export function parseModelConfig(json: unknown, source: string): ModelConfig {
  const raw = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
  const arch = raw && Array.isArray(raw.architectures) ? raw.architectures[0] : undefined;
  const type = raw?.model_type;
  if (raw && llamaFamilyOf(raw) !== null) return { kind: 'llama', config: parseLlamaConfig(raw, source) };
  if (arch === undefined || arch === 'GPT2LMHeadModel' || arch === 'GPT2Model') {
    if (arch === undefined && type !== undefined && type !== 'gpt2') {
      throw new ModelConfigError(`${source}: field "model_type" = ${JSON.stringify(type)} is not a supported model type (gpt2, llama, qwen2, qwen3).`, source);
    }
    return { kind: 'gpt2', config: parseGPT2Config(json, source) };
  }
  throw new ModelConfigError(
    `${source}: field "architectures" = ${JSON.stringify(raw?.architectures)}: ${JSON.stringify(arch)} is not supported; supported are ${SUPPORTED_ARCHITECTURES.join(', ')} (docs/model.md lists what each covers).`,
    source,
  );
}

/**
 * Reads and validates `<dir>/config.json`.
 * @throws ModelConfigError when the file is missing, not JSON, of an unsupported architecture, or has an invalid field.
 */
export async function readModelConfig(dir: string): Promise<ModelConfig> {
  const { file, json } = await readConfigJson(dir);
  return parseModelConfig(json, file);
}

/**
 * The most positions (prompt + completion tokens) the model takes, and the config.json field that
 * sets it, from the config alone: callers check their sequence lengths before the weights load.
 */
export function maxPositionsOf(model: ModelConfig): { maxPositions: number; field: 'n_positions' | 'max_position_embeddings' } {
  return model.kind === 'gpt2'
    ? { maxPositions: model.config.nPositions, field: 'n_positions' }
    : { maxPositions: model.config.maxPositionEmbeddings, field: 'max_position_embeddings' };
}

/** The checkpoint's tensors checked against the config, under the names the model is built from. */
export function checkTensors(model: ModelConfig, tensors: Map<string, HostTensor>, source: string): Map<string, HostTensor> {
  return model.kind === 'gpt2' ? canonicalGPT2Tensors(tensors, model.config, source) : checkLlamaTensors(tensors, model.config, source);
}

/** The projections LoRA can target, with PEFT's names and defaults. */
export function linearModuleCatalog(model: ModelConfig): LinearModuleCatalog {
  return model.kind === 'gpt2' ? gpt2LinearModules(model.config.nLayer) : llamaLinearModules(model.config);
}

/** Options of {@link buildTransformer}. */
export interface BuildTransformerOptions {
  makeConv1D?: Conv1DFactory;
  gradientCheckpointing?: boolean;
  /** Generation's stop ids (generation_config.json's), overriding config.json's. */
  eosTokenIds?: number[];
}

/** The architecture's model from checked tensors. */
export function buildTransformer(model: ModelConfig, tensors: Map<string, HostTensor>, options: BuildTransformerOptions = {}): CausalTransformer {
  if (model.kind === 'gpt2') return new GPT2Model(model.config, tensors, options);
  return new LlamaModel(model.config, tensors, options);
}

/** What {@link saveModelFolder} writes. */
export interface SaveModelFolderOptions {
  /** Checkpoint tensors as {@link checkTensors} returns them. */
  tensors: Map<string, HostTensor>;
  tokenizer?: TextTokenizer;
  eosTokenIds?: number[];
}

/** Writes a full HF folder (config, weights, generation config, tokenizer) that transformers loads as a plain model. */
export async function saveModelFolder(dir: string, model: ModelConfig, options: SaveModelFolderOptions): Promise<void> {
  const tokenizer = options.tokenizer ? { tokenizer: options.tokenizer } : {};
  if (model.kind === 'gpt2') await saveHFModel(dir, { config: model.config, tensors: options.tensors, ...tokenizer });
  else await saveLlamaModel(dir, { config: model.config, tensors: options.tensors, ...tokenizer, ...(options.eosTokenIds ? { eosTokenIds: options.eosTokenIds } : {}) });
}

/** The tagged config of a built model. */
export function modelConfigOf(model: CausalTransformer): ModelConfig {
  if (model instanceof GPT2Model) return { kind: 'gpt2', config: model.config };
  if (model instanceof LlamaModel) return { kind: 'llama', config: model.config };
  throw new TypeError(`modelConfigOf: no architecture entry for a model of architecture '${model.architecture}'.`);
}

/**
 * A projection's checkpoint tensors from the [in, out] weight and bias its layer holds: GPT-2's
 * Conv1D keeps that layout and always has a bias; nn.Linear models store [out, in] and a bias only
 * where config.json gives the projection one.
 */
export function linearCheckpointTensors(model: ModelConfig, path: string, weightInOut: HostTensor, bias: HostTensor): [string, HostTensor][] {
  if (model.kind === 'gpt2') return [[`${path}.weight`, weightInOut], [`${path}.bias`, bias]];
  const [inF, outF] = weightInOut.shape;
  const out: [string, HostTensor][] = [[`${path}.weight`, { shape: [outF, inF], data: transposeHost(weightInOut.data, inF, outF) }]];
  const layer = Number(/^model\.layers\.(\d+)\./.exec(path)?.[1]);
  const module = path.slice(`${llamaLayerPrefix(layer)}.`.length) as LlamaLinearModule;
  if (llamaLinearShape(model.config, module).bias) out.push([`${path}.bias`, bias]);
  return out;
}
