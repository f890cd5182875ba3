import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gpt2ConfigToJson, gpt2InnerSize, parseGPT2Config, readGPT2Config } from '../src/architectures/gpt2/config.js';
import { ModelConfigError } from '../src/io/errors.js';
import { tempDir } from './io-helpers.js';

/** distilgpt2's config.json as published on the hub (field names and values). */
const DISTILGPT2 = {
  _num_labels: 1,
  activation_function: 'gelu_new',
  architectures: ['GPT2LMHeadModel'],
  attn_pdrop: 0.1,
  bos_token_id: 50256,
  embd_pdrop: 0.1,
  eos_token_id: 50256,
  id2label: { '0': 'LABEL_0' },
  initializer_range: 0.02,
  label2id: { LABEL_0: 0 },
  layer_norm_epsilon: 1e-5,
  model_type: 'gpt2',
  n_ctx: 1024,
  n_embd: 768,
  n_head: 12,
  n_layer: 6,
  n_positions: 1024,
  resid_pdrop: 0.1,
  summary_activation: null,
  summary_first_dropout: 0.1,
  summary_proj_to_labels: true,
  summary_type: 'cls_index',
  summary_use_proj: true,
  task_specific_params: { 'text-generation': { do_sample: true, max_length: 50 } },
  vocab_size: 50257,
};

describe('parseGPT2Config', () => {
  it('reads the HF field names of distilgpt2', () => {
    const c = parseGPT2Config(DISTILGPT2, 'distilgpt2/config.json');
    expect(c).toMatchObject({
      modelType: 'gpt2',
      vocabSize: 50257,
      nPositions: 1024,
      nEmbd: 768,
      nLayer: 6,
      nHead: 12,
      nInner: null,
      layerNormEpsilon: 1e-5,
      activationFunction: 'gelu_new',
      tieWordEmbeddings: true,
      bosTokenId: 50256,
      eosTokenId: 50256,
      padTokenId: null,
    });
    expect(gpt2InnerSize(c)).toBe(3072);
    expect(c.raw.task_specific_params).toEqual(DISTILGPT2.task_specific_params);
  });

  it('applies transformers GPT2Config defaults to an empty object', () => {
    const c = parseGPT2Config({}, 'x');
    expect([c.nLayer, c.nHead, c.nEmbd, c.vocabSize, c.nPositions]).toEqual([12, 12, 768, 50257, 1024]);
    expect(c.scaleAttnWeights).toBe(true);
    expect(c.scaleAttnByInverseLayerIdx).toBe(false);
  });

  it('keeps n_inner, untied embeddings and a pad id', () => {
    const c = parseGPT2Config({ n_inner: 100, tie_word_embeddings: false, pad_token_id: 3 }, 'x');
    expect(gpt2InnerSize(c)).toBe(100);
    expect(c.tieWordEmbeddings).toBe(false);
    expect(c.padTokenId).toBe(3);
  });

  it.each([
    [{ n_head: 2.5 }, /x\/config\.json: invalid field "n_head" = 2\.5/],
    [{ n_layer: -1 }, /invalid field "n_layer" = -1/],
    [{ n_embd: 10, n_head: 3 }, /invalid field "n_embd" = 10: n_embd must be divisible by n_head/],
    [{ model_type: 'llama' }, /invalid field "model_type" = "llama".*Only GPT-2 family checkpoints/],
    [{ activation_function: 'mish' }, /invalid field "activation_function" = "mish"/],
    [{ layer_norm_epsilon: '1e-5' }, /invalid field "layer_norm_epsilon" = "1e-5"/],
    [{ tie_word_embeddings: 'yes' }, /invalid field "tie_word_embeddings"/],
    [{ eos_token_id: null }, /invalid field "eos_token_id" = null/],
  ])('rejects %j naming the field and file', (json, message) => {
    expect(() => parseGPT2Config(json, 'x/config.json')).toThrow(message);
    expect(() => parseGPT2Config(json, 'x/config.json')).toThrow(ModelConfigError);
  });

  it('rejects non-objects', () => {
    expect(() => parseGPT2Config([1], 'f.json')).toThrow(/f\.json: expected a JSON object in config\.json, got an array/);
  });
});

describe('readGPT2Config', () => {
  it('reads <dir>/config.json', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'config.json'), JSON.stringify(DISTILGPT2));
    expect((await readGPT2Config(dir)).nLayer).toBe(6);
  });

  it('names the file when it is missing, not JSON, or invalid', async () => {
    const dir = await tempDir();
    await expect(readGPT2Config(dir)).rejects.toThrow(new RegExp(`${join(dir, 'config.json')}: cannot read the model config \\(ENOENT\\)`));
    await writeFile(join(dir, 'config.json'), '{"n_layer": 2,');
    await expect(readGPT2Config(dir)).rejects.toThrow(/config\.json: not valid JSON/);
    await writeFile(join(dir, 'config.json'), '{"n_layer": "two"}');
    await expect(readGPT2Config(dir)).rejects.toThrow(/config\.json: invalid field "n_layer" = "two"/);
  });
});

describe('gpt2ConfigToJson', () => {
  it('writes HF fields, keeps unknown keys, sorts keys, and round-trips', async () => {
    const c = parseGPT2Config({ ...DISTILGPT2, architectures: undefined, n_layer: 2 }, 'x');
    const json = gpt2ConfigToJson(c);
    expect(Object.keys(json)).toEqual(Object.keys(json).sort());
    expect(json).toMatchObject({
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      n_layer: 2,
      n_embd: 768,
      n_inner: null,
      activation_function: 'gelu_new',
      layer_norm_epsilon: 1e-5,
      tie_word_embeddings: true,
      bos_token_id: 50256,
      eos_token_id: 50256,
      task_specific_params: DISTILGPT2.task_specific_params,
    });
    expect(json).not.toHaveProperty('pad_token_id');
    const dir = join(await tempDir(), 'm');
    await mkdir(dir);
    await writeFile(join(dir, 'config.json'), JSON.stringify(json));
    const again = await readGPT2Config(dir);
    expect({ ...again, raw: undefined }).toEqual({ ...c, raw: undefined });
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).n_ctx).toBe(1024);
  });
});
