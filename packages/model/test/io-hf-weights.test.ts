import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalGPT2Tensors, gpt2TensorShapes, toHFGPT2TensorNames } from '../src/architectures/gpt2/weights.js';
import { readSafetensorsFolder } from '../src/io/hf-folder.js';
import { CheckpointTensorError, ModelFilesNotFoundError } from '../src/io/errors.js';
import { type HostTensor, writeSafetensors } from '../src/io/safetensors.js';
import { lcgTensor, tempDir, tinyConfig, tinyTensors } from './io-helpers.js';

const config = tinyConfig();

function expectSameTensors(actual: Map<string, HostTensor>, expected: Map<string, HostTensor>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, t] of expected) {
    expect(actual.get(name)!.shape, name).toEqual(t.shape);
    expect(Array.from(actual.get(name)!.data), name).toEqual(Array.from(t.data));
  }
}

describe('gpt2TensorShapes', () => {
  it('lists the GPT-2 tensors with Conv1D [in, out] shapes', () => {
    const shapes = gpt2TensorShapes(tinyConfig({ nLayer: 1 }));
    expect(Object.fromEntries(shapes)).toEqual({
      'wte.weight': [11, 8],
      'wpe.weight': [6, 8],
      'h.0.ln_1.weight': [8],
      'h.0.ln_1.bias': [8],
      'h.0.attn.c_attn.weight': [8, 24],
      'h.0.attn.c_attn.bias': [24],
      'h.0.attn.c_proj.weight': [8, 8],
      'h.0.attn.c_proj.bias': [8],
      'h.0.ln_2.weight': [8],
      'h.0.ln_2.bias': [8],
      'h.0.mlp.c_fc.weight': [8, 32],
      'h.0.mlp.c_fc.bias': [32],
      'h.0.mlp.c_proj.weight': [32, 8],
      'h.0.mlp.c_proj.bias': [8],
      'ln_f.weight': [8],
      'ln_f.bias': [8],
    });
    expect(gpt2TensorShapes(tinyConfig({ tieWordEmbeddings: false })).get('lm_head.weight')).toEqual([11, 8]);
  });
});

describe('readSafetensorsFolder + canonicalGPT2Tensors', () => {
  const canonical = tinyTensors(config);

  it('loads names without the transformer. prefix (original hub files)', async () => {
    const dir = await tempDir();
    await writeSafetensors(join(dir, 'model.safetensors'), canonical);
    expectSameTensors(canonicalGPT2Tensors(await readSafetensorsFolder(dir), config, dir), canonical);
  });

  it('loads GPT2LMHeadModel names: transformer. prefix, attention buffers and a tied lm_head are dropped', async () => {
    const dir = await tempDir();
    const hf = toHFGPT2TensorNames(canonical);
    hf.set('lm_head.weight', canonical.get('wte.weight')!);
    hf.set('transformer.h.0.attn.bias', lcgTensor([1, 1, 6, 6], 99));
    hf.set('transformer.h.1.attn.masked_bias', { shape: [], data: new Float32Array([-1e4]) });
    await writeSafetensors(join(dir, 'model.safetensors'), hf, { dtype: 'F32' });
    expectSameTensors(canonicalGPT2Tensors(await readSafetensorsFolder(dir), config, dir), canonical);
  });

  it('keeps lm_head.weight when the config is untied', () => {
    const untied = tinyConfig({ tieWordEmbeddings: false });
    const tensors = tinyTensors(untied);
    expect(canonicalGPT2Tensors(toHFGPT2TensorNames(tensors), untied, 'x').get('lm_head.weight')!.shape).toEqual([11, 8]);
  });

  it('reads a sharded folder through model.safetensors.index.json', async () => {
    const dir = await tempDir();
    const names = [...toHFGPT2TensorNames(canonical).keys()];
    const hf = toHFGPT2TensorNames(canonical);
    const shard = (k: number) => `model-0000${k}-of-00002.safetensors`;
    const weightMap: Record<string, string> = {};
    names.forEach((name, i) => (weightMap[name] = shard(i < names.length / 2 ? 1 : 2)));
    for (const k of [1, 2]) {
      await writeSafetensors(join(dir, shard(k)), new Map([...hf].filter(([name]) => weightMap[name] === shard(k))), { dtype: 'BF16' });
    }
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    const loaded = canonicalGPT2Tensors(await readSafetensorsFolder(dir), config, dir);
    expect(loaded.size).toBe(canonical.size);
    const a = loaded.get('h.1.mlp.c_proj.weight')!.data;
    const b = canonical.get('h.1.mlp.c_proj.weight')!.data;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(Math.abs(b[i]) / 128);
  });
});

describe('checkpoint errors name the tensor or file', () => {
  const canonical = tinyTensors(config);

  it('a missing tensor', () => {
    const m = new Map(canonical);
    m.delete('h.1.ln_2.bias');
    expect(() => canonicalGPT2Tensors(m, config, 'ckpt')).toThrow(/ckpt: missing tensor "h\.1\.ln_2\.bias" \(expected shape \[8\]\)/);
  });

  it('a wrong shape, with found and expected shapes', () => {
    const m = new Map(canonical);
    m.set('h.0.attn.c_attn.weight', lcgTensor([24, 8], 1));
    expect(() => canonicalGPT2Tensors(m, config, 'ckpt')).toThrow(/tensor "h\.0\.attn\.c_attn\.weight" has shape \[24, 8\] but config\.json implies \[8, 24\]/);
    expect(() => canonicalGPT2Tensors(m, config, 'ckpt')).toThrow(CheckpointTensorError);
  });

  it('an unexpected tensor (more layers than config.json says)', () => {
    const m = new Map(canonical);
    m.set('transformer.h.2.ln_1.weight', lcgTensor([8], 1));
    expect(() => canonicalGPT2Tensors(m, config, 'ckpt')).toThrow(/unexpected tensor "transformer\.h\.2\.ln_1\.weight" for a GPT-2 with n_layer=2/);
  });

  it('a tied lm_head that differs from wte', () => {
    const m = new Map(canonical);
    m.set('lm_head.weight', lcgTensor([11, 8], 1234));
    expect(() => canonicalGPT2Tensors(m, config, 'ckpt')).toThrow(/"lm_head\.weight" differs from "wte\.weight" .* tie_word_embeddings=true/);
  });

  it('the same tensor with and without prefix', () => {
    const m = new Map(canonical);
    m.set('transformer.ln_f.bias', canonical.get('ln_f.bias')!);
    expect(() => canonicalGPT2Tensors(m, config, 'ckpt')).toThrow(/tensor "ln_f\.bias" appears both with and without/);
  });

  it('a folder with only pytorch_model.bin says to convert to safetensors', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'pytorch_model.bin'), 'pickle');
    await writeFile(join(dir, 'config.json'), '{}');
    await expect(readSafetensorsFolder(dir)).rejects.toThrow(/only PyTorch pickle weights \(pytorch_model\.bin\).*safe_serialization=True/);
    await expect(readSafetensorsFolder(dir)).rejects.toThrow(ModelFilesNotFoundError);
  });

  it('a folder without weights lists its files; a missing folder says so', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'config.json'), '{}');
    await expect(readSafetensorsFolder(dir)).rejects.toThrow(/no model\.safetensors or model\.safetensors\.index\.json found \(files: config\.json\)/);
    await expect(readSafetensorsFolder(join(dir, 'nope'))).rejects.toThrow(/cannot list the model folder \(ENOENT\)/);
  });

  it('a shard listed in the index but absent, or a tensor not in its shard', async () => {
    const dir = await tempDir();
    await writeSafetensors(join(dir, 'a.safetensors'), { x: lcgTensor([2], 1) });
    const index = join(dir, 'model.safetensors.index.json');
    await writeFile(index, JSON.stringify({ weight_map: { x: 'a.safetensors', y: 'b.safetensors' } }));
    await expect(readSafetensorsFolder(dir)).rejects.toThrow(/lists shard "b\.safetensors", which is missing/);
    await writeFile(index, JSON.stringify({ weight_map: { x: 'a.safetensors', y: 'a.safetensors' } }));
    await expect(readSafetensorsFolder(dir)).rejects.toThrow(/a\.safetensors: tensor "y" listed in model\.safetensors\.index\.json is not in that shard/);
    await writeFile(index, '{"weight_map": 3}');
    await expect(readSafetensorsFolder(dir)).rejects.toThrow(/invalid shard index \(missing "weight_map" object\)/);
  });
});
