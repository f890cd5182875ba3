/**
 * Llama-family config.json parsing: the published configs of the models people GRPO load with
 * the right shapes; anything this implementation would compute differently (another rope type,
 * sliding windows, another activation) is an error naming config.json and the field; llama3
 * inverse frequencies equal the float64 reference's; random checkpoints round-trip through save.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../../src/architectures/index.js';
import { llamaConfigToJson, makeLlamaConfig, parseLlamaConfig } from '../../src/architectures/llama/config.js';
import { randomLlamaTensors, writeRandomLlamaCheckpoint } from '../../src/architectures/llama/random-init.js';
import { loadCausalLM } from '../../src/causal-lm.js';
import { readSafetensorsFolder } from '../../src/io/hf-folder.js';
import { ModelConfigError } from '../../src/io/errors.js';
import { ropeInverseFrequencies } from '../../src/ops/rotary.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/llama');

// config.json of the hub checkpoints, as published (fields transformers ignores left in on purpose).
const QWEN25_05B = {
  architectures: ['Qwen2ForCausalLM'], attention_dropout: 0.0, bos_token_id: 151643, eos_token_id: 151645, hidden_act: 'silu',
  hidden_size: 896, initializer_range: 0.02, intermediate_size: 4864, max_position_embeddings: 32768, max_window_layers: 21,
  model_type: 'qwen2', num_attention_heads: 14, num_hidden_layers: 24, num_key_value_heads: 2, rms_norm_eps: 1e-6,
  rope_theta: 1000000.0, sliding_window: 32768, tie_word_embeddings: true, torch_dtype: 'bfloat16', use_cache: true,
  use_sliding_window: false, vocab_size: 151936,
};
const LLAMA32_1B = {
  architectures: ['LlamaForCausalLM'], attention_bias: false, attention_dropout: 0.0, bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009], head_dim: 64, hidden_act: 'silu', hidden_size: 2048, initializer_range: 0.02,
  intermediate_size: 8192, max_position_embeddings: 131072, mlp_bias: false, model_type: 'llama', num_attention_heads: 32,
  num_hidden_layers: 16, num_key_value_heads: 8, pretraining_tp: 1, rms_norm_eps: 1e-5,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  rope_theta: 500000.0, tie_word_embeddings: true, torch_dtype: 'bfloat16', use_cache: true, vocab_size: 128256,
};
const QWEN3_06B = {
  architectures: ['Qwen3ForCausalLM'], attention_bias: false, attention_dropout: 0.0, bos_token_id: 151643, eos_token_id: 151645,
  head_dim: 128, hidden_act: 'silu', hidden_size: 1024, initializer_range: 0.02, intermediate_size: 3072,
  max_position_embeddings: 40960, max_window_layers: 28, model_type: 'qwen3', num_attention_heads: 16, num_hidden_layers: 28,
  num_key_value_heads: 8, rms_norm_eps: 1e-6, rope_scaling: null, rope_theta: 1000000, sliding_window: null,
  tie_word_embeddings: true, torch_dtype: 'bfloat16', use_cache: true, use_sliding_window: false, vocab_size: 151936,
};
const SMOLLM2_135M = {
  architectures: ['LlamaForCausalLM'], attention_bias: false, attention_dropout: 0.0, bos_token_id: 0, eos_token_id: 0,
  hidden_act: 'silu', hidden_size: 576, initializer_range: 0.041666666666666664, intermediate_size: 1536, is_llama_config: true,
  max_position_embeddings: 8192, model_type: 'llama', num_attention_heads: 9, num_hidden_layers: 30, num_key_value_heads: 3,
  pretraining_tp: 1, rms_norm_eps: 1e-5, rope_interleaved: false, rope_scaling: null, rope_theta: 100000,
  tie_word_embeddings: true, torch_dtype: 'bfloat16', use_cache: true, vocab_size: 49152,
};

describe('published configs', () => {
  it('Qwen2.5-0.5B-Instruct: qwen2, 14/2 heads of 64, q/k/v biases only, tied', () => {
    const c = parseLlamaConfig(QWEN25_05B, 'config.json');
    expect([c.family, c.numAttentionHeads, c.numKeyValueHeads, c.headDim, c.qkvBias, c.oBias, c.mlpBias, c.qkNorm, c.tieWordEmbeddings]).toEqual([
      'qwen2', 14, 2, 64, true, false, false, false, true,
    ]);
    expect(c.eosTokenIds).toEqual([151645]);
    expect(c.ropeScaling).toBeNull();
  });

  it('Llama-3.2-1B-Instruct: llama3 rope scaling and an EOS list', () => {
    const c = parseLlamaConfig(LLAMA32_1B, 'config.json');
    expect(c.ropeScaling).toEqual({ factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
    expect(c.eosTokenIds).toEqual([128001, 128008, 128009]);
    expect([c.headDim, c.numKeyValueHeads, c.qkvBias]).toEqual([64, 8, false]);
  });

  it('Qwen3-0.6B: explicit head_dim 128 (q width 2048 ≠ hidden 1024) and q/k norm', () => {
    const c = parseLlamaConfig(QWEN3_06B, 'config.json');
    expect([c.family, c.headDim, c.qkNorm, c.hiddenSize]).toEqual(['qwen3', 128, true, 1024]);
  });

  it('SmolLM2-135M: 9 heads / 3 KV heads of 64', () => {
    const c = parseLlamaConfig(SMOLLM2_135M, 'config.json');
    expect([c.family, c.headDim, c.numKeyValueHeads, c.ropeTheta]).toEqual(['llama', 64, 3, 100000]);
  });

  it('transformers 5 rope_parameters give the same rotary settings as rope_theta + rope_scaling', () => {
    const { rope_theta, rope_scaling, ...rest } = LLAMA32_1B;
    const v5 = parseLlamaConfig({ ...rest, rope_parameters: { ...rope_scaling, rope_theta } }, 'config.json');
    const v4 = parseLlamaConfig(LLAMA32_1B, 'config.json');
    expect([v5.ropeTheta, v5.ropeScaling]).toEqual([v4.ropeTheta, v4.ropeScaling]);
  });

  it('config.json round-trips through llamaConfigToJson', () => {
    for (const raw of [QWEN25_05B, LLAMA32_1B, QWEN3_06B, SMOLLM2_135M]) {
      const c = parseLlamaConfig(raw, 'config.json');
      const again = parseLlamaConfig(llamaConfigToJson(c), 'again.json');
      expect({ ...again, raw: {} }).toEqual({ ...c, raw: {} });
    }
  });
});

describe('refused configs name config.json and the field', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['another architecture', { ...QWEN25_05B, architectures: ['MistralForCausalLM'] }, /config\.json: field "architectures".*MistralForCausalLM.*not supported/],
    ['yarn rope scaling', { ...QWEN25_05B, rope_scaling: { rope_type: 'yarn', factor: 4 } }, /config\.json: field "rope_scaling\.rope_type" = "yarn"/],
    ['dynamic rope scaling (old "type" key)', { ...LLAMA32_1B, rope_scaling: { type: 'dynamic', factor: 2 } }, /"rope_scaling\.rope_type" = "dynamic"/],
    ['llama3 scaling without its factors', { ...LLAMA32_1B, rope_scaling: { rope_type: 'llama3', factor: 8 } }, /"rope_scaling\.low_freq_factor".*required/],
    ['sliding window on', { ...QWEN25_05B, use_sliding_window: true }, /config\.json: field "use_sliding_window" = true: sliding-window attention is not implemented/],
    ['a GELU MLP', { ...SMOLLM2_135M, hidden_act: 'gelu' }, /field "hidden_act" = "gelu".*silu/],
    ['KV heads that do not divide the heads', { ...SMOLLM2_135M, num_key_value_heads: 4 }, /field "num_key_value_heads" = 4: must divide num_attention_heads \(9\)/],
    ['a missing size', { ...QWEN3_06B, hidden_size: undefined }, /field "hidden_size"/],
    ['an unknown model_type', { model_type: 'mamba' }, /field "model_type" = "mamba" is not a supported model type/],
  ];
  for (const [what, raw, message] of cases) {
    it(what, () => {
      expect(() => parseModelConfig(raw, '/models/x/config.json')).toThrow(ModelConfigError);
      expect(() => parseModelConfig(raw, 'config.json')).toThrow(message);
    });
  }

  it('GPT-2 configs still go to the GPT-2 parser (with or without architectures)', () => {
    expect(parseModelConfig({ architectures: ['GPT2LMHeadModel'], n_layer: 2 }, 'c.json').kind).toBe('gpt2');
    expect(parseModelConfig({}, 'c.json').kind).toBe('gpt2');
  });
});

describe('rotary inverse frequencies', () => {
  it('llama3 scaling: kept, smoothed and divided bands equal the float64 reference', () => {
    const fx = JSON.parse(readFileSync(join(FIXTURES, 'llama-mqa-tied-rope3-bias', 'expected.json'), 'utf8')) as {
      rope: { inv_freq: number[]; inv_freq_unscaled: number[] };
    };
    const c = parseLlamaConfig(JSON.parse(readFileSync(join(FIXTURES, 'llama-mqa-tied-rope3-bias', 'config.json'), 'utf8')), 'config.json');
    const scaled = ropeInverseFrequencies(c.headDim, c.ropeTheta, c.ropeScaling);
    const plain = ropeInverseFrequencies(c.headDim, c.ropeTheta, null);
    fx.rope.inv_freq.forEach((f, i) => expect(Math.abs(scaled[i] - f) / f).toBeLessThan(1e-12));
    fx.rope.inv_freq_unscaled.forEach((f, i) => expect(Math.abs(plain[i] - f) / f).toBeLessThan(1e-12));
  });
});

describe('random checkpoints', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'grpojs-llama-config-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a Qwen3 written by writeRandomLlamaCheckpoint loads, and a merged save writes the same tensors bit for bit', async () => {
    const config = makeLlamaConfig({ family: 'qwen3', vocabSize: 40, hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 8, eosTokenIds: [1] });
    const dir = join(root, 'qwen3');
    await writeRandomLlamaCheckpoint(dir, config, 7);
    const lm = await loadCausalLM(dir);
    expect(lm.model.architecture).toBe('qwen3');
    const out = join(root, 'qwen3-saved');
    await lm.save(out, { merged: true });
    const again = await readSafetensorsFolder(out);
    const want = randomLlamaTensors(config, 7);
    expect([...again.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [name, t] of want) expect(Buffer.from(again.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).toBe(true);
    lm.dispose();
  });
});
