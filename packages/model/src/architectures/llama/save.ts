/**
 * Writing a full Llama-family folder that transformers loads with `AutoModelForCausalLM`
 * (config.json, model.safetensors under transformers' names, generation_config.json, tokenizer
 * files): merged exports and random test checkpoints.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../io/atomic-write.js';
import type { HostDType, HostTensor } from '../../io/safetensors.js';
import { writeSafetensors } from '../../io/safetensors.js';
import type { TextTokenizer } from '../../io/tokenizer.js';
import { type LlamaConfig, llamaConfigToJson } from './config.js';
import { checkLlamaTensors } from './weights.js';

/** What {@link saveLlamaModel} writes. */
export interface SaveLlamaModelOptions {
  config: LlamaConfig;
  /** Tensors under transformers' names, nn.Linear weights [out, in] (as checkLlamaTensors returns them). */
  tensors: Map<string, HostTensor>;
  tokenizer?: TextTokenizer;
  /** EOS ids for generation_config.json (default: config.json's). */
  eosTokenIds?: number[];
  /** Extra generation_config.json fields. */
  generationConfig?: Record<string, unknown>;
  /** Stored dtype. Default F32. */
  dtype?: HostDType;
}

const TORCH_DTYPE: Record<HostDType, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/**
 * Writes the folder atomically file by file (existing files of the same names are replaced).
 * @throws CheckpointTensorError when a tensor is missing or has the wrong shape for `config`.
 */
export async function saveLlamaModel(dir: string, options: SaveLlamaModelOptions): Promise<void> {
  const { config, tokenizer } = options;
  const dtype = options.dtype ?? 'F32';
  const checked = checkLlamaTensors(options.tensors, config, `saveLlamaModel(${dir})`);
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, 'model.safetensors'), checked, { metadata: { format: 'pt' }, dtype });
  await writeJsonAtomic(join(dir, 'config.json'), { ...llamaConfigToJson(config), torch_dtype: TORCH_DTYPE[dtype] });
  const eos = options.eosTokenIds ?? config.eosTokenIds;
  const generation: Record<string, unknown> = {
    _from_model_config: true,
    bos_token_id: config.bosTokenId,
    eos_token_id: eos.length === 1 ? eos[0] : eos,
    ...(tokenizer !== undefined ? { pad_token_id: tokenizer.padTokenId } : {}),
    ...options.generationConfig,
  };
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(generation).sort()) sorted[key] = generation[key];
  await writeJsonAtomic(join(dir, 'generation_config.json'), sorted);
  if (tokenizer !== undefined) await tokenizer.save(dir);
}
