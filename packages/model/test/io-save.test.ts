import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGPT2Config } from '../src/architectures/gpt2/config.js';
import { canonicalGPT2Tensors } from '../src/architectures/gpt2/weights.js';
import { readSafetensorsFolder } from '../src/io/hf-folder.js';
import { loadPeftAdapter, savePeftAdapter } from '../src/adapters/peft-files.js';
import { type HostTensor, readSafetensors, readSafetensorsMetadata } from '../src/io/safetensors.js';
import { saveHFModel } from '../src/architectures/gpt2/save.js';
import { embeddedGPT2Tokenizer, loadTokenizer } from '../src/io/tokenizer.js';
import { lcgTensor, tempDir, tinyConfig, tinyTensors } from './io-helpers.js';

describe('saveHFModel', () => {
  it('writes a full GPT2LMHeadModel folder that reads back identically', async () => {
    const dir = join(await tempDir(), 'merged');
    const config = tinyConfig();
    const tensors = tinyTensors(config);
    const tokenizer = await embeddedGPT2Tokenizer();
    await saveHFModel(dir, { config, tensors, tokenizer, generationConfig: { max_new_tokens: 64 } });

    expect((await readdir(dir)).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const configJson = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(configJson).toMatchObject({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', n_layer: 2, n_embd: 8, n_head: 2, vocab_size: 11, torch_dtype: 'float32' });

    const stored = await readSafetensors(join(dir, 'model.safetensors'));
    const names = [...stored.keys()];
    expect(names.every((name) => name.startsWith('transformer.'))).toBe(true);
    expect(names).toContain('transformer.h.1.attn.c_attn.weight');
    expect(names).not.toContain('lm_head.weight');
    expect(names.length).toBe(tensors.size);
    expect(await readSafetensorsMetadata(join(dir, 'model.safetensors'))).toEqual({ format: 'pt' });

    const back = canonicalGPT2Tensors(await readSafetensorsFolder(dir), await readGPT2Config(dir), dir);
    for (const [name, t] of tensors) expect(Array.from(back.get(name)!.data), name).toEqual(Array.from(t.data));

    expect(JSON.parse(await readFile(join(dir, 'generation_config.json'), 'utf8'))).toEqual({
      _from_model_config: true,
      bos_token_id: 50256,
      eos_token_id: 50256,
      max_new_tokens: 64,
      pad_token_id: 50256,
    });
    expect((await loadTokenizer(dir)).encode('Hello')).toEqual([15496]);
  });

  it('writes lm_head.weight for untied configs, and BF16 when asked', async () => {
    const dir = await tempDir();
    const config = tinyConfig({ tieWordEmbeddings: false });
    await saveHFModel(dir, { config, tensors: tinyTensors(config), dtype: 'BF16' });
    const bytes = await readFile(join(dir, 'model.safetensors'));
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString()) as Record<string, { dtype: string }>;
    expect(header['lm_head.weight'].dtype).toBe('BF16');
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).torch_dtype).toBe('bfloat16');
  });

  it('refuses tensors that do not match the config, naming the tensor, and writes nothing', async () => {
    const dir = join(await tempDir(), 'out');
    const config = tinyConfig();
    const tensors = tinyTensors(config);
    tensors.set('ln_f.weight', lcgTensor([9], 1));
    await expect(saveHFModel(dir, { config, tensors })).rejects.toThrow(/tensor "ln_f\.weight" has shape \[9\] but config\.json implies \[8\]/);
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });
});

/** LoRA tensors for c_attn of a 2-layer model with n_embd 8, r 4: A [4, 8], B [24, 4]. */
function loraTensors(): Map<string, HostTensor> {
  const m = new Map<string, HostTensor>();
  for (let i = 0; i < 2; i++) {
    m.set(`base_model.model.transformer.h.${i}.attn.c_attn.lora_A.weight`, lcgTensor([4, 8], 10 + i));
    m.set(`base_model.model.transformer.h.${i}.attn.c_attn.lora_B.weight`, lcgTensor([24, 4], 20 + i));
  }
  return m;
}
const lora = { r: 4, alpha: 8, dropout: 0.05, targetModules: ['c_attn'] };

describe('PEFT adapter files', () => {
  it('adapter_config.json has every key formats.md lists, sorted, with PEFT values', async () => {
    const dir = await tempDir();
    await savePeftAdapter(dir, { loraConfig: lora, baseModelNameOrPath: 'distilgpt2', tensors: loraTensors() });
    expect((await readdir(dir)).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
    const text = await readFile(join(dir, 'adapter_config.json'), 'utf8');
    const config = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(config)).toEqual(Object.keys(config).sort());
    expect(config).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 8,
      lora_dropout: 0.05,
      target_modules: ['c_attn'],
      bias: 'none',
      fan_in_fan_out: true,
      base_model_name_or_path: 'distilgpt2',
      inference_mode: true,
      init_lora_weights: true,
      use_rslora: false,
      use_dora: false,
      modules_to_save: null,
    });
    expect(text).toContain('"modules_to_save": null');
  });

  it('adapter_model.safetensors has PEFT names, [r, in] / [out, r] shapes and format pt; loads back', async () => {
    const dir = await tempDir();
    const tensors = loraTensors();
    await savePeftAdapter(dir, { loraConfig: lora, baseModelNameOrPath: 'distilgpt2', tensors });
    expect(await readSafetensorsMetadata(join(dir, 'adapter_model.safetensors'))).toEqual({ format: 'pt' });
    const { config, tensors: back } = await loadPeftAdapter(dir);
    expect(config).toMatchObject({ r: 4, alpha: 8, dropout: 0.05, targetModules: ['c_attn'], baseModelNameOrPath: 'distilgpt2', fanInFanOut: true, useRslora: false });
    expect(back.get('base_model.model.transformer.h.1.attn.c_attn.lora_A.weight')!.shape).toEqual([4, 8]);
    expect(back.get('base_model.model.transformer.h.1.attn.c_attn.lora_B.weight')!.shape).toEqual([24, 4]);
    for (const [name, t] of tensors) expect(Array.from(back.get(name)!.data), name).toEqual(Array.from(t.data));
  });

  it('stores distilgpt2-shaped c_attn adapters (in 768, out 2304) under the PEFT names', async () => {
    const dir = await tempDir();
    const tensors = new Map<string, HostTensor>();
    for (let i = 0; i < 6; i++) {
      tensors.set(`base_model.model.transformer.h.${i}.attn.c_attn.lora_A.weight`, lcgTensor([8, 768], i + 1));
      tensors.set(`base_model.model.transformer.h.${i}.attn.c_attn.lora_B.weight`, lcgTensor([2304, 8], i + 100));
    }
    await savePeftAdapter(dir, { loraConfig: { r: 8, alpha: 16, dropout: 0, targetModules: ['c_attn'] }, baseModelNameOrPath: 'distilgpt2', tensors });
    const bytes = await readFile(join(dir, 'adapter_model.safetensors'));
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString()) as Record<string, { dtype: string; shape: number[] }>;
    expect(Object.keys(header).filter((k) => k !== '__metadata__')).toHaveLength(12);
    expect(header['base_model.model.transformer.h.5.attn.c_attn.lora_A.weight']).toMatchObject({ dtype: 'F32', shape: [8, 768] });
    expect(header['base_model.model.transformer.h.5.attn.c_attn.lora_B.weight']).toMatchObject({ dtype: 'F32', shape: [2304, 8] });
    expect((await loadPeftAdapter(dir)).tensors.size).toBe(12);
  });

  it('rejects non-PEFT names, wrong ranks and unpaired tensors, naming the tensor', async () => {
    const dir = await tempDir();
    const save = (tensors: Map<string, HostTensor>) => savePeftAdapter(dir, { loraConfig: lora, baseModelNameOrPath: 'x', tensors });
    await expect(save(new Map([['h.0.attn.c_attn.lora_A.weight', lcgTensor([4, 8], 1)]]))).rejects.toThrow(/tensor "h\.0\.attn\.c_attn\.lora_A\.weight" is not a PEFT LoRA name/);
    const wrongRank = loraTensors();
    wrongRank.set('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight', lcgTensor([24, 3], 1));
    await expect(save(wrongRank)).rejects.toThrow(/lora_B\.weight" has shape \[24, 3\]; expected \[out, 4\] for r=4/);
    const unpaired = loraTensors();
    unpaired.delete('base_model.model.transformer.h.1.attn.c_attn.lora_A.weight');
    await expect(save(unpaired)).rejects.toThrow(/missing tensor "base_model\.model\.transformer\.h\.1\.attn\.c_attn\.lora_A\.weight"/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('loadPeftAdapter names the file or field at fault', async () => {
    const dir = await tempDir();
    await expect(loadPeftAdapter(dir)).rejects.toThrow(/adapter_config\.json: not found; .* is not a PEFT adapter folder/);
    await savePeftAdapter(dir, { loraConfig: lora, baseModelNameOrPath: 'x', tensors: loraTensors() });
    const configFile = join(dir, 'adapter_config.json');
    const good = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    await writeFile(configFile, JSON.stringify({ ...good, peft_type: 'IA3' }));
    await expect(loadPeftAdapter(dir)).rejects.toThrow(/field "peft_type" = "IA3"; only "LORA" adapters are supported/);
    await writeFile(configFile, JSON.stringify({ ...good, r: 0 }));
    await expect(loadPeftAdapter(dir)).rejects.toThrow(/field "r" = 0 is invalid; expected a positive integer/);
    await writeFile(configFile, JSON.stringify({ ...good, r: 8 }));
    await expect(loadPeftAdapter(dir)).rejects.toThrow(/adapter_model\.safetensors: tensor ".*lora_A\.weight" has shape \[4, 8\]; expected \[8, in\] for r=8/);
  });

  it('accepts a string target_modules and unknown keys (as PEFT writes them), and explains adapter_model.bin', async () => {
    const dir = await tempDir();
    await savePeftAdapter(dir, { loraConfig: lora, baseModelNameOrPath: 'x', tensors: loraTensors() });
    const configFile = join(dir, 'adapter_config.json');
    const good = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
    await writeFile(configFile, JSON.stringify({ ...good, target_modules: 'c_attn', megatron_core: 'megatron.core' }));
    expect((await loadPeftAdapter(dir)).config.targetModules).toEqual(['c_attn']);
    const binDir = await tempDir();
    await writeFile(join(binDir, 'adapter_config.json'), JSON.stringify(good));
    await writeFile(join(binDir, 'adapter_model.bin'), 'pickle');
    await expect(loadPeftAdapter(binDir)).rejects.toThrow(/only adapter_model\.bin, a PyTorch pickle: re-save it with safe_serialization=True/);
  });
});
