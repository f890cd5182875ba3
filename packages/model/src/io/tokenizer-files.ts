/**
 * Writes a tokenizer as the three files `transformers.AutoTokenizer.from_pretrained` reads:
 * tokenizer.json (verbatim), tokenizer_config.json and special_tokens_map.json.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from './atomic-write.js';
import type { SpecialTokens } from './tokenizer.js';

/** What {@link writeTokenizerFiles} needs from a tokenizer. */
export interface SavableTokenizer {
  tokenizerJson: string;
  special: SpecialTokens;
  tokenizerConfig: Record<string, unknown>;
}

function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = value[key];
  return out;
}

/** tokenizer_config.json keys of a GPT-2 tokenizer that transformers expects and our GPT-2 sources lack. */
const GPT2_CONFIG = { add_bos_token: false, add_prefix_space: false, clean_up_tokenization_spaces: false, tokenizer_class: 'GPT2Tokenizer' };

/**
 * Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into `dir` (created if
 * needed). Pad is written as its own token, or as the eos token when the model has none (the TRL
 * convention), so Python pads with the same id we do; a model without bos gets `bos_token: null`.
 * The loaded tokenizer_config.json is kept (chat template, class, model_max_length); one that names
 * no tokenizer class (GPT-2's) gets GPT-2's class and flags.
 */
export async function writeTokenizerFiles(dir: string, tokenizer: SavableTokenizer): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { bos, eos, pad } = tokenizer.special;
  const parsed = JSON.parse(tokenizer.tokenizerJson) as { added_tokens?: { id: number; content: string }[] };
  const addedTokensDecoder: Record<string, unknown> = {};
  for (const { id, ...rest } of parsed.added_tokens ?? []) {
    addedTokensDecoder[String(id)] = sortKeys(rest as Record<string, unknown>);
  }
  const loaded = tokenizer.tokenizerConfig;
  const unk = typeof loaded.unk_token === 'string' ? loaded.unk_token : undefined;
  const tokens = { bos_token: bos?.token ?? null, eos_token: eos.token, pad_token: pad.token, ...(unk !== undefined ? { unk_token: unk } : {}) };
  const config = sortKeys({
    ...(loaded.tokenizer_class === undefined ? GPT2_CONFIG : {}),
    ...loaded,
    added_tokens_decoder: addedTokensDecoder,
    ...tokens,
  });
  const specialMap = sortKeys(Object.fromEntries(Object.entries(tokens).filter(([, token]) => token !== null)));
  await writeFileAtomic(join(dir, 'tokenizer.json'), tokenizer.tokenizerJson);
  await writeJsonAtomic(join(dir, 'tokenizer_config.json'), config);
  await writeJsonAtomic(join(dir, 'special_tokens_map.json'), specialMap);
}
