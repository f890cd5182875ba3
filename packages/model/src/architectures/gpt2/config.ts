/**
 * The GPT-2 model configuration, read from and written to a Hugging Face `config.json`.
 * The zod schema below uses the HF field names and is the single source of defaults (the same as
 * `transformers.GPT2Config`), so a config.json written by Python loads here and ours loads there.
 */
import { z } from 'zod';
import { readConfigJson } from '../../io/config-json.js';
import { ModelConfigError } from '../../io/errors.js';

/** Activations GPT-2 checkpoints use (`gelu_new` = tanh approximation, the GPT-2 default). */
export const GPT2_ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'gelu', 'relu', 'silu'] as const;
export type GPT2Activation = (typeof GPT2_ACTIVATIONS)[number];

const positiveInt = z.number().int().positive();
const tokenId = z.number().int().nonnegative();

/** HF `GPT2Config` fields we read, with transformers' defaults. Unknown keys are kept in `raw`. */
const hfGPT2ConfigSchema = z
  .object({
    model_type: z.literal('gpt2').default('gpt2'),
    vocab_size: positiveInt.default(50257),
    n_positions: positiveInt.default(1024),
    n_embd: positiveInt.default(768),
    n_layer: positiveInt.default(12),
    n_head: positiveInt.default(12),
    n_inner: positiveInt.nullable().default(null),
    activation_function: z.enum(GPT2_ACTIVATIONS).default('gelu_new'),
    layer_norm_epsilon: z.number().positive().default(1e-5),
    tie_word_embeddings: z.boolean().default(true),
    bos_token_id: tokenId.default(50256),
    eos_token_id: tokenId.default(50256),
    pad_token_id: tokenId.nullable().default(null),
    scale_attn_weights: z.boolean().default(true),
    scale_attn_by_inverse_layer_idx: z.boolean().default(false),
    reorder_and_upcast_attn: z.boolean().default(false),
    initializer_range: z.number().positive().default(0.02),
    chat_template: z.string().optional(),
  })
  .refine((c) => c.n_embd % c.n_head === 0, { message: 'n_embd must be divisible by n_head', path: ['n_embd'] });

/** A validated GPT-2 config in camelCase; `raw` is the whole config.json as read (unknown keys kept). */
export interface GPT2Config {
  modelType: 'gpt2';
  vocabSize: number;
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** MLP hidden size; null means 4 · nEmbd. */
  nInner: number | null;
  layerNormEpsilon: number;
  activationFunction: GPT2Activation;
  /** true: the LM head is `wte` transposed (GPT-2, distilgpt2). */
  tieWordEmbeddings: boolean;
  bosTokenId: number;
  eosTokenId: number;
  /** null for GPT-2 (it has no pad token; use eos). */
  padTokenId?: number | null;
  /** Attention scores divided by √headDim (true for GPT-2). */
  scaleAttnWeights: boolean;
  /** Scores additionally divided by (layer index + 1) (false for GPT-2). */
  scaleAttnByInverseLayerIdx: boolean;
  reorderAndUpcastAttn: boolean;
  initializerRange: number;
  chatTemplate?: string;
  raw: Record<string, unknown>;
}

/** The MLP hidden size (n_inner, or 4 · n_embd when null). */
export function gpt2InnerSize(config: GPT2Config): number {
  return config.nInner ?? 4 * config.nEmbd;
}

/**
 * Validates a parsed config.json and applies transformers' defaults.
 * @param json the parsed JSON object.
 * @param source the file (or hub id) it came from, used in error messages.
 * @throws ModelConfigError naming the field, the value and the file.
 */
export function parseGPT2Config(json: unknown, source: string): GPT2Config {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ModelConfigError(`${source}: expected a JSON object in config.json, got ${Array.isArray(json) ? 'an array' : typeof json}.`, source);
  }
  const raw = json as Record<string, unknown>;
  const result = hfGPT2ConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.join('.') || '(root)';
    const value = issue.path.length > 0 ? JSON.stringify(raw[String(issue.path[0])]) : '';
    const hint =
      field === 'model_type'
        ? ' Only GPT-2 family checkpoints (model_type "gpt2", e.g. gpt2, distilgpt2) are supported.'
        : ' Fix the field in config.json or re-save the model with transformers.';
    throw new ModelConfigError(`${source}: invalid field "${field}"${value ? ` = ${value}` : ''}: ${issue.message}.${hint}`, source);
  }
  const c = result.data;
  return {
    modelType: 'gpt2',
    vocabSize: c.vocab_size,
    nPositions: c.n_positions,
    nEmbd: c.n_embd,
    nLayer: c.n_layer,
    nHead: c.n_head,
    nInner: c.n_inner,
    layerNormEpsilon: c.layer_norm_epsilon,
    activationFunction: c.activation_function,
    tieWordEmbeddings: c.tie_word_embeddings,
    bosTokenId: c.bos_token_id,
    eosTokenId: c.eos_token_id,
    padTokenId: c.pad_token_id,
    scaleAttnWeights: c.scale_attn_weights,
    scaleAttnByInverseLayerIdx: c.scale_attn_by_inverse_layer_idx,
    reorderAndUpcastAttn: c.reorder_and_upcast_attn,
    initializerRange: c.initializer_range,
    ...(c.chat_template !== undefined ? { chatTemplate: c.chat_template } : {}),
    raw: { ...raw },
  };
}

/**
 * Reads and validates `<dir>/config.json`.
 * @throws ModelConfigError when the file is missing, not JSON, or has an invalid field.
 */
export async function readGPT2Config(dir: string): Promise<GPT2Config> {
  const { file, json } = await readConfigJson(dir);
  return parseGPT2Config(json, file);
}

/**
 * The HF config.json object for a config: unknown keys from `raw` kept, known fields overwritten,
 * `architectures: ["GPT2LMHeadModel"]`, keys sorted as transformers writes them.
 */
export function gpt2ConfigToJson(config: GPT2Config): Record<string, unknown> {
  const out: Record<string, unknown> = {
    attn_pdrop: 0.1,
    embd_pdrop: 0.1,
    resid_pdrop: 0.1,
    summary_activation: null,
    summary_first_dropout: 0.1,
    summary_proj_to_labels: true,
    summary_type: 'cls_index',
    summary_use_proj: true,
    use_cache: true,
    ...config.raw,
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: config.vocabSize,
    n_positions: config.nPositions,
    n_embd: config.nEmbd,
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_inner: config.nInner,
    activation_function: config.activationFunction,
    layer_norm_epsilon: config.layerNormEpsilon,
    tie_word_embeddings: config.tieWordEmbeddings,
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenId,
    scale_attn_weights: config.scaleAttnWeights,
    scale_attn_by_inverse_layer_idx: config.scaleAttnByInverseLayerIdx,
    reorder_and_upcast_attn: config.reorderAndUpcastAttn,
    initializer_range: config.initializerRange,
    torch_dtype: 'float32',
  };
  if (config.padTokenId !== undefined && config.padTokenId !== null) out.pad_token_id = config.padTokenId;
  if (config.chatTemplate !== undefined) out.chat_template = config.chatTemplate;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(out).sort()) sorted[key] = out[key];
  return sorted;
}

/** A GPT2Config from camelCase overrides on top of transformers' defaults (for tests and random init). */
export function makeGPT2Config(overrides: Partial<Omit<GPT2Config, 'raw' | 'modelType'>> = {}): GPT2Config {
  const base = parseGPT2Config({}, '(defaults)');
  return { ...base, ...overrides, raw: {} };
}
