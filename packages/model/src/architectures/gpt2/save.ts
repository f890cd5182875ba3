/**
 * Saving a full Hugging Face model folder that Python loads with
 * `GPT2LMHeadModel.from_pretrained(dir)` / `AutoTokenizer.from_pretrained(dir)`, without grpojs.
 * Used for merged checkpoints (LoRA folded into the base) and for base-model snapshots.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../io/atomic-write.js';
import { type GPT2Config, gpt2ConfigToJson } from './config.js';
import { canonicalGPT2Tensors, toHFGPT2TensorNames } from './weights.js';
import type { HostDType, HostTensor } from '../../io/safetensors.js';
import { writeSafetensors } from '../../io/safetensors.js';
import type { TextTokenizer } from '../../io/tokenizer.js';

/** What {@link saveHFModel} writes. */
export interface SaveHFModelOptions {
  config: GPT2Config;
  /** Canonical GPT-2 tensors (`wte.weight`, `h.0.attn.c_attn.weight` [C, 3C], …), as from canonicalGPT2Tensors. */
  tensors: Map<string, HostTensor>;
  /** Written as tokenizer.json, tokenizer_config.json, special_tokens_map.json when given. */
  tokenizer?: TextTokenizer;
  /** Extra generation_config.json fields (e.g. `{ max_new_tokens: 256, do_sample: true }`). */
  generationConfig?: Record<string, unknown>;
  /** Stored dtype of the weights. Default F32. */
  dtype?: HostDType;
}

/**
 * The generation_config.json transformers derives from a model config, plus `overrides`.
 * Pad falls back to eos, as for GPT-2 (no pad token).
 */
export function gpt2GenerationConfig(config: GPT2Config, overrides: Record<string, unknown> = {}, padTokenId?: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    _from_model_config: true,
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenId,
    ...(padTokenId !== undefined ? { pad_token_id: padTokenId } : {}),
    ...overrides,
  };
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(out).sort()) sorted[key] = out[key];
  return sorted;
}

/**
 * Writes a complete HF GPT-2 folder: config.json (`architectures: ["GPT2LMHeadModel"]`),
 * model.safetensors with the names `GPT2LMHeadModel.save_pretrained` uses (`transformer.` prefix,
 * no `lm_head.weight` when tied) and metadata `{format: "pt"}`, generation_config.json, and the
 * tokenizer files when a tokenizer is given. Every file is written atomically.
 * @param dir destination folder (created if needed; existing files of the same names are replaced).
 * @throws CheckpointTensorError when a tensor is missing or has the wrong shape for `config`.
 */
export async function saveHFModel(dir: string, options: SaveHFModelOptions): Promise<void> {
  const { config, tokenizer } = options;
  const checked = canonicalGPT2Tensors(options.tensors, config, `saveHFModel(${dir})`);
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, 'model.safetensors'), toHFGPT2TensorNames(checked), {
    metadata: { format: 'pt' },
    dtype: options.dtype ?? 'F32',
  });
  const configJson = gpt2ConfigToJson(config);
  if (options.dtype === 'F16') configJson.torch_dtype = 'float16';
  if (options.dtype === 'BF16') configJson.torch_dtype = 'bfloat16';
  await writeJsonAtomic(join(dir, 'config.json'), configJson);
  await writeJsonAtomic(join(dir, 'generation_config.json'), gpt2GenerationConfig(config, options.generationConfig, tokenizer?.padTokenId));
  if (tokenizer !== undefined) await tokenizer.save(dir);
}

export { loadPeftAdapter, savePeftAdapter } from '../../adapters/peft-files.js';
