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

/**
 * Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into `dir` (created if
 * needed). Pad is written as its own token, or as the eos token when the model has none (the TRL
 * convention), so Python pads with the same id we do.
 */
export async function writeTokenizerFiles(dir: string, tokenizer: SavableTokenizer): Promise<void> {
  await mkdir(dir, { recursive: true });
  const { bos, eos, pad } = tokenizer.special;
  const parsed = JSON.parse(tokenizer.tokenizerJson) as { added_tokens?: { id: number; content: string }[] };
  const addedTokensDecoder: Record<string, unknown> = {};
  for (const { id, ...rest } of parsed.added_tokens ?? []) {
    addedTokensDecoder[String(id)] = sortKeys(rest as Record<string, unknown>);
  }
  const unk = typeof tokenizer.tokenizerConfig.unk_token === 'string' ? tokenizer.tokenizerConfig.unk_token : eos.token === '<|endoftext|>' ? eos.token : undefined;
  const config = sortKeys({
    add_bos_token: false,
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
    tokenizer_class: 'GPT2Tokenizer',
    ...tokenizer.tokenizerConfig,
    added_tokens_decoder: addedTokensDecoder,
    bos_token: bos.token,
    eos_token: eos.token,
    pad_token: pad.token,
    ...(unk !== undefined ? { unk_token: unk } : {}),
  });
  const specialMap = sortKeys({ bos_token: bos.token, eos_token: eos.token, pad_token: pad.token, ...(unk !== undefined ? { unk_token: unk } : {}) });
  await writeFileAtomic(join(dir, 'tokenizer.json'), tokenizer.tokenizerJson);
  await writeJsonAtomic(join(dir, 'tokenizer_config.json'), config);
  await writeJsonAtomic(join(dir, 'special_tokens_map.json'), specialMap);
}
