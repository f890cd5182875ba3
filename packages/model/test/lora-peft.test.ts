/**
 * PEFT compatibility of the LoRA layers: target-module matching (PEFT's suffix rule), tensor names
 * and shapes through savePeftAdapter/loadPeftAdapter, and merging (host merge vs torch, merge →
 * unmerge round trip, merged fast inference equals the adapter path).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoraError } from '../src/adapters/errors.js';
import { LoraConv1D } from '../src/adapters/lora.js';
import { collectPeftTensors, loadPeftTensors, peftNameToModulePath, resolveLoraTargets } from '../src/adapters/lora-targets.js';
import { mergeLoraIntoTensors, unmergeLoraFromTensors } from '../src/adapters/merge.js';
import { loadPeftAdapter, savePeftAdapter } from '../src/adapters/peft-files.js';
import type { HostTensor } from '../src/io/safetensors.js';
import { f32, maxRelErr, readFixture, testDense, useWasm } from './adapter-helpers.js';

const fx = readFixture<{ conv1d: Record<string, string> & { n: number; in: number; out: number; r: number; alpha: number } }>('adapter-lora.json');

beforeAll(useWasm);

describe('resolveLoraTargets (PEFT suffix matching)', () => {
  it('c_attn by default-style name, c_proj matches attention and MLP, qualified names narrow it', () => {
    expect(resolveLoraTargets(['c_attn'], 2)).toEqual(['h.0.attn.c_attn', 'h.1.attn.c_attn']);
    expect(resolveLoraTargets(['c_proj'], 1)).toEqual(['h.0.attn.c_proj', 'h.0.mlp.c_proj']);
    expect(resolveLoraTargets(['attn.c_proj', 'c_fc'], 2)).toEqual(['h.0.attn.c_proj', 'h.0.mlp.c_fc', 'h.1.attn.c_proj', 'h.1.mlp.c_fc']);
    expect(resolveLoraTargets(['h.1.attn.c_attn'], 2)).toEqual(['h.1.attn.c_attn']);
  });

  it('a single string is a full-match regular expression, as in PEFT', () => {
    expect(resolveLoraTargets('.*\\.(c_attn|c_fc)', 2)).toEqual(['h.0.attn.c_attn', 'h.0.mlp.c_fc', 'h.1.attn.c_attn', 'h.1.mlp.c_fc']);
    expect(resolveLoraTargets('transformer\\.h\\.1\\.mlp\\.c_proj', 2)).toEqual(['h.1.mlp.c_proj']);
    expect(() => resolveLoraTargets('c_attn', 2)).toThrow(/matches no module name/);
    expect(() => resolveLoraTargets('(', 2)).toThrow(/not a valid regular expression/);
  });

  it('rejects names that match nothing (and partial names, as PEFT does)', () => {
    expect(() => resolveLoraTargets(['q_proj'], 2)).toThrow(LoraError);
    expect(() => resolveLoraTargets(['attn'], 2)).toThrow(/'attn' matches no Conv1D/);
    expect(() => resolveLoraTargets(['proj'], 2)).toThrow(/'proj'/);
    expect(() => resolveLoraTargets([], 2)).toThrow(/empty/);
  });

  it('parses PEFT tensor names', () => {
    expect(peftNameToModulePath('base_model.model.transformer.h.11.mlp.c_proj.lora_B.weight')).toEqual({ modulePath: 'h.11.mlp.c_proj', which: 'B' });
    expect(peftNameToModulePath('base_model.model.transformer.h.0.attn.c_attn.weight')).toBeNull();
  });
});

function makeLayers(paths: string[], sizes: Record<string, [number, number]>, seed: number) {
  const s = { enabled: true };
  const layers = new Map<string, LoraConv1D>();
  for (const p of paths) {
    const [inn, out] = sizes[p.split('.').slice(2).join('.')];
    const l = new LoraConv1D(testDense(new Float32Array(inn * out), new Float32Array(out), inn, out), { r: 2, alpha: 4, dropout: 0, name: p, seed, adapterSwitch: s });
    l.loraB.assign(tf.randomNormal([out, 2], 0, 1, 'float32', seed + p.length));
    layers.set(p, l);
  }
  return layers;
}

describe('PEFT tensors', () => {
  const sizes: Record<string, [number, number]> = { 'attn.c_attn': [8, 24], 'attn.c_proj': [8, 8], 'mlp.c_fc': [8, 32], 'mlp.c_proj': [32, 8] };

  it('names and shapes follow PEFT and survive savePeftAdapter → loadPeftAdapter → loadPeftTensors', async () => {
    const paths = resolveLoraTargets(['c_attn', 'c_proj'], 2);
    const src = makeLayers(paths, sizes, 1);
    const tensors = collectPeftTensors(src);
    expect(tensors.get('base_model.model.transformer.h.1.mlp.c_proj.lora_A.weight')!.shape).toEqual([2, 32]);
    expect(tensors.get('base_model.model.transformer.h.0.attn.c_attn.lora_B.weight')!.shape).toEqual([24, 2]);
    expect(tensors.size).toBe(2 * paths.length);
    const dir = await mkdtemp(join(tmpdir(), 'grpojs-lora-'));
    try {
      await savePeftAdapter(dir, { loraConfig: { r: 2, alpha: 4, dropout: 0, targetModules: ['c_attn', 'c_proj'] }, baseModelNameOrPath: 'gpt2', tensors });
      const loaded = await loadPeftAdapter(dir);
      const dst = makeLayers(paths, sizes, 99);
      loadPeftTensors(dst, loaded.tensors, dir);
      for (const p of paths) {
        expect(Array.from(dst.get(p)!.loraA.dataSync())).toEqual(Array.from(src.get(p)!.loraA.dataSync()));
        expect(Array.from(dst.get(p)!.loraB.dataSync())).toEqual(Array.from(src.get(p)!.loraB.dataSync()));
      }
      for (const l of dst.values()) l.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
      for (const l of src.values()) l.dispose();
    }
  });

  it('loading reports missing, unexpected and mis-shaped tensors by name', () => {
    const layers = makeLayers(['h.0.attn.c_attn'], sizes, 2);
    const good = collectPeftTensors(layers);
    const extra = new Map(good).set('base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight', { shape: [2, 8], data: new Float32Array(16) });
    expect(() => loadPeftTensors(layers, extra, 'adapter.safetensors')).toThrow(/h\.0\.mlp\.c_fc\.lora_A\.weight' has no matching LoRA layer/);
    const missing = new Map([...good].filter(([k]) => !k.endsWith('lora_B.weight')));
    expect(() => loadPeftTensors(layers, missing, 'adapter.safetensors')).toThrow(/missing '.*lora_B\.weight'/);
    const bad = new Map(good).set('base_model.model.transformer.h.0.attn.c_attn.lora_A.weight', { shape: [4, 8], data: new Float32Array(32) });
    expect(() => loadPeftTensors(layers, bad, 'adapter.safetensors')).toThrow(/lora_A\.weight has shape \[4, 8\], expected \[2, 8\]/);
    for (const l of layers.values()) l.dispose();
  });
});

describe('merging', () => {
  const c = fx.conv1d;
  const peft = (): Map<string, HostTensor> =>
    new Map([
      ['base_model.model.transformer.h.0.attn.c_attn.lora_A.weight', { shape: [c.r, c.in], data: f32(c.A) }],
      ['base_model.model.transformer.h.0.attn.c_attn.lora_B.weight', { shape: [c.out, c.r], data: f32(c.B) }],
    ]);

  it('host merge equals torch W + scale·(B·A)ᵀ, and unmerge restores W', () => {
    const w = { shape: [c.in, c.out], data: f32(c.w) };
    const other = { shape: [c.out], data: f32(c.b) };
    const canonical = new Map([['h.0.attn.c_attn.weight', w], ['h.0.attn.c_attn.bias', other]]);
    const merged = mergeLoraIntoTensors(canonical, peft(), { r: c.r, alpha: c.alpha });
    expect(maxRelErr(merged.get('h.0.attn.c_attn.weight')!.data, f32(c.merged), 1e-2)).toBeLessThan(1e-5);
    expect(merged.get('h.0.attn.c_attn.bias')).toBe(other);
    const back = unmergeLoraFromTensors(merged, peft(), { r: c.r, alpha: c.alpha }).get('h.0.attn.c_attn.weight')!.data;
    for (let i = 0; i < back.length; i++) expect(Math.abs(back[i] - w.data[i])).toBeLessThanOrEqual(2.5e-7 * Math.max(1, Math.abs(w.data[i])));
    expect(() => mergeLoraIntoTensors(new Map(), peft(), { r: c.r, alpha: c.alpha })).toThrow(/no tensor 'h\.0\.attn\.c_attn\.weight'/);
  });

  it('LoraConv1D.merge() serves the same outputs from one weight, refuses training, and unmerges', () => {
    const layer = new LoraConv1D(testDense(f32(c.w), f32(c.b), c.in, c.out), { r: c.r, alpha: c.alpha, dropout: 0, name: 'h.0.attn.c_attn', seed: 1, adapterSwitch: { enabled: true } });
    layer.loadPeftTensors({ shape: [c.r, c.in], data: f32(c.A) }, { shape: [c.out, c.r], data: f32(c.B) });
    expect(maxRelErr(layer.mergedWeight(f32(c.w)), f32(c.merged), 1e-2)).toBeLessThan(1e-5);
    const x = tf.tensor2d(f32(c.x), [c.n, c.in]);
    const plain = layer.apply(x, { training: false });
    const bytes = layer.weightBytes();
    layer.merge();
    expect(layer.isMerged).toBe(true);
    expect(layer.weightBytes()).toBe(bytes + 4 * (c.in * c.out + c.out));
    const fast = layer.apply(x, { training: false });
    expect(maxRelErr(fast.dataSync(), plain.dataSync(), 0.1)).toBeLessThan(1e-5); // floor: outputs are O(1) sums with cancellation
    expect(() => layer.apply(x, { training: true })).toThrow(/unmerge\(\) first/);
    layer.unmerge();
    expect(Array.from(layer.apply(x, { training: false }).dataSync())).toEqual(Array.from(plain.dataSync()));
    tf.dispose([x, plain, fast]);
    layer.dispose();
  });
});
