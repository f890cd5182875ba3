/**
 * The Llama-family configuration (`LlamaForCausalLM`, `Qwen2ForCausalLM`, `Qwen3ForCausalLM`), read
 * from a Hugging Face `config.json`. One model serves the three: Qwen2 is Llama with biases on the
 * q/k/v projections, Qwen3 adds a per-head RMSNorm on queries and keys and an explicit head_dim.
 * The zod schema keeps transformers' field names and defaults; a value this implementation would
 * compute differently from transformers (another rope type, sliding-window attention, another
 * activation) is refused with the file and field named, never approximated.
 */
import { z } from 'zod';
import { ModelConfigError } from '../../io/errors.js';

/** The three families, by HF `architectures[0]`. */
export const LLAMA_ARCHITECTURES = {
  LlamaForCausalLM: 'llama',
  Qwen2ForCausalLM: 'qwen2',
  Qwen3ForCausalLM: 'qwen3',
} as const;
export type LlamaFamily = (typeof LLAMA_ARCHITECTURES)[keyof typeof LLAMA_ARCHITECTURES];

/** Llama 3's frequency-dependent rope scaling (transformers' `rope_type: "llama3"`). */
export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

/** A validated Llama-family config in camelCase; `raw` is config.json as read (unknown keys kept). */
export interface LlamaConfig {
  family: LlamaFamily;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  /** Width of one attention head; Qwen3 sets it explicitly (q width = heads · headDim may ≠ hidden). */
  headDim: number;
  maxPositionEmbeddings: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: Llama3RopeScaling | null;
  /** Biases on q, k, v (all families) and o (Llama only; Qwen2's o_proj never has one). */
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  /** Qwen3: RMSNorm over each query/key head before rotary. */
  qkNorm: boolean;
  tieWordEmbeddings: boolean;
  bosTokenId: number | null;
  /** One or several ids (Llama 3 Instruct lists three). */
  eosTokenIds: number[];
  padTokenId: number | null;
  raw: Record<string, unknown>;
}

const positiveInt = z.number().int().positive();
const tokenId = z.number().int().nonnegative();
const tokenIds = z.union([tokenId, z.array(tokenId).min(1)]);

const ropeScalingSchema = z
  .object({
    rope_type: z.string().optional(),
    type: z.string().optional(),
    factor: z.number().positive().optional(),
    low_freq_factor: z.number().positive().optional(),
    high_freq_factor: z.number().positive().optional(),
    original_max_position_embeddings: positiveInt.optional(),
  })
  .passthrough()
  .nullable()
  .default(null);

/** Fields we read, with the defaults of transformers' LlamaConfig / Qwen2Config / Qwen3Config. */
const hfLlamaConfigSchema = z
  .object({
    vocab_size: positiveInt,
    hidden_size: positiveInt,
    intermediate_size: positiveInt,
    num_hidden_layers: positiveInt,
    num_attention_heads: positiveInt,
    num_key_value_heads: positiveInt.nullable().optional(),
    head_dim: positiveInt.nullable().optional(),
    max_position_embeddings: positiveInt.default(2048),
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().default(10000),
    rope_scaling: ropeScalingSchema,
    hidden_act: z.literal('silu', { message: 'only "silu" (SwiGLU) is implemented' }).default('silu'),
    attention_bias: z.boolean().default(false),
    mlp_bias: z.boolean().default(false),
    tie_word_embeddings: z.boolean().default(false),
    use_sliding_window: z.boolean().default(false),
    bos_token_id: tokenId.nullable().default(null),
    eos_token_id: tokenIds.nullable().default(null),
    pad_token_id: tokenId.nullable().default(null),
  })
  .passthrough();

function fail(source: string, field: string, value: unknown, why: string): never {
  const shown = value === undefined ? '' : ` = ${JSON.stringify(value)}`;
  throw new ModelConfigError(`${source}: field "${field}"${shown}: ${why}.`, source);
}

/** The family of a config.json object: from `architectures[0]`, else `model_type`; null when neither names one. */
export function llamaFamilyOf(raw: Record<string, unknown>): LlamaFamily | null {
  const arch = Array.isArray(raw.architectures) ? raw.architectures[0] : undefined;
  if (typeof arch === 'string') return (LLAMA_ARCHITECTURES as Record<string, LlamaFamily>)[arch] ?? null;
  const type = raw.model_type;
  return type === 'llama' || type === 'qwen2' || type === 'qwen3' ? type : null;
}

function parseRopeScaling(raw: z.infer<typeof ropeScalingSchema>, source: string): Llama3RopeScaling | null {
  if (raw === null) return null;
  const type = raw.rope_type ?? raw.type;
  if (type === 'default') return null;
  if (type !== 'llama3') {
    fail(source, 'rope_scaling.rope_type', type, 'only "llama3" rope scaling (or none) is implemented; linear, dynamic, yarn and longrope are not');
  }
  const need = (key: 'factor' | 'low_freq_factor' | 'high_freq_factor' | 'original_max_position_embeddings'): number => {
    const v = raw[key];
    if (v === undefined) fail(source, `rope_scaling.${key}`, undefined, 'is required by llama3 rope scaling');
    return v;
  };
  const scaling = {
    factor: need('factor'),
    lowFreqFactor: need('low_freq_factor'),
    highFreqFactor: need('high_freq_factor'),
    originalMaxPositionEmbeddings: need('original_max_position_embeddings'),
  };
  if (!(scaling.highFreqFactor > scaling.lowFreqFactor)) {
    fail(source, 'rope_scaling.high_freq_factor', scaling.highFreqFactor, 'must exceed low_freq_factor (the smoothing divides by their difference)');
  }
  return scaling;
}

/**
 * transformers 5 writes the rotary settings as one `rope_parameters` object ({rope_type,
 * rope_theta, factor, …}) instead of `rope_theta` + `rope_scaling`; null when the config has none.
 */
function readRopeParameters(raw: Record<string, unknown>, source: string): { theta: number | undefined; scaling: z.infer<typeof ropeScalingSchema> } | null {
  const p = raw.rope_parameters;
  if (p === undefined || p === null) return null;
  if (typeof p !== 'object' || Array.isArray(p)) fail(source, 'rope_parameters', p, 'must be an object');
  const params = p as Record<string, unknown>;
  const theta = params.rope_theta;
  if (theta !== undefined && !(typeof theta === 'number' && theta > 0)) fail(source, 'rope_parameters.rope_theta', theta, 'must be a positive number');
  const parsed = ropeScalingSchema.safeParse(params);
  if (!parsed.success) fail(source, `rope_parameters.${parsed.error.issues[0].path.join('.')}`, undefined, parsed.error.issues[0].message);
  return { theta: theta as number | undefined, scaling: parsed.data };
}

/**
 * Validates a parsed Llama/Qwen2/Qwen3 config.json and applies transformers' defaults.
 * @param source the file it came from, named in every error.
 * @throws ModelConfigError naming the file, the field and the value.
 */
export function parseLlamaConfig(json: unknown, source: string): LlamaConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ModelConfigError(`${source}: expected a JSON object in config.json.`, source);
  }
  const raw = json as Record<string, unknown>;
  const family = llamaFamilyOf(raw);
  if (family === null) {
    fail(source, 'architectures', raw.architectures ?? raw.model_type, `not a Llama-family model (expected one of ${Object.keys(LLAMA_ARCHITECTURES).join(', ')})`);
  }
  const result = hfLlamaConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.join('.') || '(root)';
    fail(source, field, issue.path.length > 0 ? raw[String(issue.path[0])] : undefined, issue.message);
  }
  const c = result.data;
  const ropeParameters = readRopeParameters(raw, source);
  if (family !== 'llama' && c.use_sliding_window) {
    fail(source, 'use_sliding_window', true, 'sliding-window attention is not implemented; full attention would compute a different model');
  }
  const heads = c.num_attention_heads;
  const kvHeads = c.num_key_value_heads ?? heads;
  if (heads % kvHeads !== 0) fail(source, 'num_key_value_heads', kvHeads, `must divide num_attention_heads (${heads})`);
  const headDim = c.head_dim ?? c.hidden_size / heads;
  if (!Number.isInteger(headDim)) fail(source, 'hidden_size', c.hidden_size, `must be divisible by num_attention_heads (${heads}) when head_dim is not given`);
  if (headDim % 2 !== 0) fail(source, 'head_dim', headDim, 'must be even (rotary embeddings rotate pairs)');
  const eos = c.eos_token_id === null ? [] : ([] as number[]).concat(c.eos_token_id);
  return {
    family,
    vocabSize: c.vocab_size,
    hiddenSize: c.hidden_size,
    intermediateSize: c.intermediate_size,
    numHiddenLayers: c.num_hidden_layers,
    numAttentionHeads: heads,
    numKeyValueHeads: kvHeads,
    headDim,
    maxPositionEmbeddings: c.max_position_embeddings,
    rmsNormEps: c.rms_norm_eps,
    ropeTheta: ropeParameters?.theta ?? c.rope_theta,
    ropeScaling: parseRopeScaling(ropeParameters ? ropeParameters.scaling : c.rope_scaling, source),
    // Qwen2 always has q/k/v biases and never an o bias; Llama and Qwen3 follow attention_bias.
    qkvBias: family === 'qwen2' ? true : c.attention_bias,
    oBias: family === 'qwen2' ? false : c.attention_bias,
    mlpBias: family === 'llama' ? c.mlp_bias : false,
    qkNorm: family === 'qwen3',
    tieWordEmbeddings: c.tie_word_embeddings,
    bosTokenId: c.bos_token_id,
    eosTokenIds: eos,
    padTokenId: c.pad_token_id,
    raw: { ...raw },
  };
}

/** The config.json transformers writes for `config` (unknown keys of `raw` kept, known ones overwritten). */
export function llamaConfigToJson(config: LlamaConfig): Record<string, unknown> {
  const architecture = Object.entries(LLAMA_ARCHITECTURES).find(([, f]) => f === config.family)?.[0];
  const out: Record<string, unknown> = {
    ...config.raw,
    architectures: [architecture],
    model_type: config.family,
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    num_key_value_heads: config.numKeyValueHeads,
    head_dim: config.headDim,
    max_position_embeddings: config.maxPositionEmbeddings,
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    rope_scaling: config.ropeScaling && {
      rope_type: 'llama3',
      factor: config.ropeScaling.factor,
      low_freq_factor: config.ropeScaling.lowFreqFactor,
      high_freq_factor: config.ropeScaling.highFreqFactor,
      original_max_position_embeddings: config.ropeScaling.originalMaxPositionEmbeddings,
    },
    hidden_act: 'silu',
    tie_word_embeddings: config.tieWordEmbeddings,
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : config.eosTokenIds,
    torch_dtype: 'float32',
  };
  if (config.family === 'llama') {
    out.attention_bias = config.qkvBias;
    out.mlp_bias = config.mlpBias;
  }
  if (config.family === 'qwen3') out.attention_bias = config.qkvBias;
  if (config.padTokenId !== null) out.pad_token_id = config.padTokenId;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(out).sort()) sorted[key] = out[key];
  return sorted;
}

/** Shape fields of a Llama-family model, for tests, random init and the bench. */
export type LlamaShape = Pick<
  LlamaConfig,
  'vocabSize' | 'hiddenSize' | 'intermediateSize' | 'numHiddenLayers' | 'numAttentionHeads' | 'numKeyValueHeads'
> &
  Partial<Omit<LlamaConfig, 'raw'>>;

/** A LlamaConfig from camelCase fields on top of transformers' defaults. */
export function makeLlamaConfig(shape: LlamaShape & { family?: LlamaFamily }): LlamaConfig {
  const family = shape.family ?? 'llama';
  const architecture = Object.entries(LLAMA_ARCHITECTURES).find(([, f]) => f === family)?.[0];
  const base = parseLlamaConfig(
    {
      architectures: [architecture],
      vocab_size: shape.vocabSize,
      hidden_size: shape.hiddenSize,
      intermediate_size: shape.intermediateSize,
      num_hidden_layers: shape.numHiddenLayers,
      num_attention_heads: shape.numAttentionHeads,
      num_key_value_heads: shape.numKeyValueHeads,
      ...(shape.headDim !== undefined ? { head_dim: shape.headDim } : {}),
      eos_token_id: 0,
    },
    '(makeLlamaConfig)',
  );
  const { family: _f, ...rest } = shape;
  return { ...base, ...rest, raw: {} };
}
