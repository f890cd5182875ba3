/**
 * A character-level tokenizer for the tiny model, as an ordinary Hugging Face tokenizer.json: a
 * byte-level BPE (GPT-2's pre-tokenizer and decoder) with one token per printable ASCII character
 * and no merges, plus the four format tags as added tokens so `<reasoning>` costs one token, not
 * eleven, and `<|endoftext|>`. @grpojs/model and transformers load it like any BPE tokenizer.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The tags of the reference format, one token each. */
const TAGS = ['<reasoning>', '</reasoning>', '<answer>', '</answer>'];
const EOS = '<|endoftext|>';

/**
 * GPT-2's byte → character map (bytes_to_unicode) for the bytes this vocabulary has: printable
 * ASCII is itself, and bytes 0–32 are U+0100 + byte (newline 'Ċ', space 'Ġ').
 */
function byteLevelChar(byte: number): string {
  return String.fromCharCode(byte >= 0x21 ? byte : 0x100 + byte);
}

/** Writes tokenizer.json and tokenizer_config.json into `dir`; returns the vocabulary size. */
export async function writeCharTokenizer(dir: string): Promise<number> {
  const vocab: Record<string, number> = {};
  for (const byte of [0x0a, 0x20, ...Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => 0x21 + i)]) vocab[byteLevelChar(byte)] = Object.keys(vocab).length;
  const added = [...TAGS, EOS].map((content) => ({ id: Object.keys(vocab).length + [...TAGS, EOS].indexOf(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: content === EOS }));
  for (const token of added) vocab[token.content] = token.id;
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: [] },
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tokenizer.json'), `${JSON.stringify(tokenizer)}\n`);
  await writeFile(join(dir, 'tokenizer_config.json'), `${JSON.stringify({ eos_token: EOS, pad_token: EOS, model_max_length: 512, tokenizer_class: 'PreTrainedTokenizerFast' }, null, 2)}\n`);
  return Object.keys(vocab).length;
}
