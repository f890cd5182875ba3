/**
 * Loadable random model folders for smoke runs, examples and tests: config.json +
 * model.safetensors (deterministic random weights from @grpojs/model) + the embedded GPT-2
 * tokenizer files, so `loadCausalLM(dir)` works with no download. GPT-2 of any size (distilgpt2's
 * included) or a Llama-family model; the vocabulary is GPT-2's so the real tokenizer fits.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LlamaFamily, embeddedGPT2Tokenizer, makeGPT2Config, makeLlamaConfig, writeRandomGPT2Checkpoint, writeRandomLlamaCheckpoint } from '@grpojs/model';

/** Size of the random model; everything else is GPT-2's default. */
export interface TinyGPT2Options {
  /** Transformer blocks. Default 2. */
  nLayer?: number;
  /** Attention heads (must divide nEmbd). Default 2. */
  nHead?: number;
  /** Hidden size. Default 32 (a multiple of 64 / 3C keeps NF4 blocks whole). */
  nEmbd?: number;
  /** Context length. Default 256. */
  nPositions?: number;
  /** Seed of the deterministic init. Default 0. */
  seed?: number;
}

/**
 * Writes a random GPT-2 checkpoint with the GPT-2 tokenizer into `dir` and returns `dir`.
 * @example await writeTinyGPT2('models/tiny'); const model = await loadCausalLM('models/tiny');
 */
export async function writeTinyGPT2(dir: string, options: TinyGPT2Options = {}): Promise<string> {
  const { nLayer = 2, nHead = 2, nEmbd = 32, nPositions = 256, seed = 0 } = options;
  if (nEmbd % nHead !== 0) throw new RangeError(`writeTinyGPT2: nHead (${nHead}) must divide nEmbd (${nEmbd}).`);
  const tokenizer = await embeddedGPT2Tokenizer();
  const config = makeGPT2Config({ nLayer, nHead, nEmbd, nPositions, vocabSize: tokenizer.vocabSize });
  await writeRandomGPT2Checkpoint(dir, config, seed);
  await tokenizer.save(dir);
  return dir;
}

/** Size and family of a random Llama-family model; the vocabulary is GPT-2's (the embedded tokenizer). */
export interface TinyLlamaOptions {
  /** Which config family: 'llama', 'qwen2' (q/k/v biases) or 'qwen3' (q/k norm). Default 'qwen2'. */
  family?: LlamaFamily;
  /** Decoder layers. Default 2. */
  numHiddenLayers?: number;
  /** Hidden size. Default 64 (a multiple of 64 keeps NF4 blocks inside a row). */
  hiddenSize?: number;
  /** Query heads. Default 4. */
  numAttentionHeads?: number;
  /** Key/value heads (must divide the query heads). Default 2. */
  numKeyValueHeads?: number;
  /** MLP width. Default 128. */
  intermediateSize?: number;
  /** Written into tokenizer_config.json, so the prompt format 'auto' picks it. Default {@link CHATML_TEMPLATE}; null for none. */
  chatTemplate?: string | null;
  /** Seed of the deterministic init. Default 0. */
  seed?: number;
}

/** Qwen's ChatML turn format, as Qwen2.5's template renders a conversation without tools. */
export const CHATML_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

/**
 * Writes a random Llama-family checkpoint (HF config.json with the family's `architectures`,
 * model.safetensors, generation_config.json) with the embedded GPT-2 tokenizer and, by default, a
 * ChatML chat template into `dir`, and returns `dir`. Loads with `loadCausalLM` and transformers.
 */
export async function writeTinyLlama(dir: string, options: TinyLlamaOptions = {}): Promise<string> {
  const { family = 'qwen2', numHiddenLayers = 2, hiddenSize = 64, numAttentionHeads = 4, numKeyValueHeads = 2, intermediateSize = 128, seed = 0 } = options;
  const tokenizer = await embeddedGPT2Tokenizer();
  const config = makeLlamaConfig({
    family,
    vocabSize: tokenizer.vocabSize,
    hiddenSize,
    intermediateSize,
    numHiddenLayers,
    numAttentionHeads,
    numKeyValueHeads,
    maxPositionEmbeddings: 512,
    tieWordEmbeddings: true,
    bosTokenId: tokenizer.bosTokenId ?? null,
    eosTokenIds: [tokenizer.eosTokenId],
  });
  await writeRandomLlamaCheckpoint(dir, config, seed, tokenizer);
  const chatTemplate = options.chatTemplate === undefined ? CHATML_TEMPLATE : options.chatTemplate;
  if (chatTemplate !== null) {
    const file = join(dir, 'tokenizer_config.json');
    const settings = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, `${JSON.stringify({ ...settings, chat_template: chatTemplate }, null, 2)}\n`);
  }
  return dir;
}
