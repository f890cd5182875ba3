/** CausalLM / loadCausalLM on HF checkpoints written to a temp dir (random weights, torch-checked shapes). */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCausalLM } from '../src/causal-lm.js';
import { loadPeftAdapter } from '../src/adapters/peft-files.js';
import { writeRandomGPT2Checkpoint } from '../src/architectures/gpt2/random-init.js';
import { loadTokenizer } from '../src/io/tokenizer.js';
import { haveSharedAssets, sharedAsset } from '../../../vitest.shared-assets.js';
import { fixtureConfig, maxAbsDiff, readFixture } from './fixture-utils.js';

const TOKENIZER_DIR = sharedAsset('gpt2-tokenizer');
const haveTokenizer = haveSharedAssets('model causal-lm: the distilgpt2 tokenizer check', ['gpt2-tokenizer/tokenizer.json']);
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'grpojs-causal-lm-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadCausalLM (tiny, LoRA on c_attn)', () => {
  const fx = readFixture('tiny');
  const config = fixtureConfig(fx);

  it('loads the HF folder it wrote and matches the torch logits', async () => {
    const dir = join(root, 'tiny');
    await writeRandomGPT2Checkpoint(dir, config, fx.seed);
    const lm = await loadCausalLM(dir, { lora: { r: 4, alpha: 8, targetModules: ['c_attn'], seed: 5 } });
    expect(lm.tokenizer).toBeUndefined();
    expect(lm.trainableVariables().map((v) => v.name)).toEqual([
      'h.0.attn.c_attn.lora_A.weight',
      'h.0.attn.c_attn.lora_B.weight',
      'h.1.attn.c_attn.lora_A.weight',
      'h.1.attn.c_attn.lora_B.weight',
    ]);
    const { logits, hidden } = lm.model.forward(fx.forward.ids, { attentionMask: fx.forward.attentionMask });
    const all = logits!.arraySync() as number[][][];
    for (const row of fx.forward.logits) expect(maxAbsDiff(all[row.b][row.t], row.values!)).toBeLessThan(1e-4);
    tf.dispose([logits!, hidden]);
    lm.dispose();
  });

  it('trains LoRA through tokenLogProbs; adapters off = base; save → reload adapter and merged agree', async () => {
    const dir = join(root, 'tiny');
    const lm = await loadCausalLM(dir, { lora: { r: 4, alpha: 8, seed: 5 } });
    const prompts = [[3, 1, 4], [1, 5, 9, 2, 6]];
    const completions = [[5, 3, 5, 8], [9, 7]];
    const logp = () => lm.tokenLogProbs(prompts, completions, { training: true }).logProbs;
    const before = logp();
    const optimizer = tf.train.adam(0.05);
    for (let i = 0; i < 3; i++) optimizer.minimize(() => tf.neg(tf.sum(logp())) as tf.Scalar, false, lm.trainableVariables());
    const after = logp();
    expect(tf.sum(after).arraySync()).toBeGreaterThan(tf.sum(before).arraySync() as number);
    const base = lm.withAdaptersDisabled(() => logp());
    expect(maxAbsDiff(base.dataSync(), before.dataSync())).toBeLessThan(1e-6); // B = 0 at init: base = adapted
    expect(maxAbsDiff(base.dataSync(), after.dataSync())).toBeGreaterThan(1e-3);
    // async fn: the switch stays off until the promise settles, then comes back on
    const gen = await lm.withAdaptersDisabled(() => lm.generate(prompts, { maxNewTokens: 3, doSample: false }));
    const baseGreedy = await (async () => {
      const plain = await loadCausalLM(dir);
      const out = await plain.generate(prompts, { maxNewTokens: 3, doSample: false });
      plain.dispose();
      return out;
    })();
    expect(gen.completionIds).toEqual(baseGreedy.completionIds);
    const again = logp();
    expect(maxAbsDiff(again.dataSync(), after.dataSync())).toBeLessThan(1e-6);

    await lm.save(join(root, 'adapter'));
    await lm.save(join(root, 'merged'), { merged: true });
    expect(existsSync(join(root, 'adapter', 'adapter_model.safetensors'))).toBe(true);
    const reloaded = await loadCausalLM(dir, { adapterPath: join(root, 'adapter') });
    const merged = await loadCausalLM(join(root, 'merged'));
    const viaAdapter = reloaded.tokenLogProbs(prompts, completions).logProbs;
    const viaMerged = merged.tokenLogProbs(prompts, completions).logProbs;
    expect(maxAbsDiff(viaAdapter.dataSync(), after.dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(viaMerged.dataSync(), after.dataSync())).toBeLessThan(1e-4);
    tf.dispose([before, after, base, again, viaAdapter, viaMerged]);
    [lm, reloaded, merged].forEach((m) => m.dispose());
  });

  it('a regex target list adapts the matching modules and is saved as their paths', async () => {
    const dir = join(root, 'tiny');
    const lm = await loadCausalLM(dir, { lora: { r: 2, alpha: 4, targetModules: 'transformer\\.h\\.1\\.mlp\\.c_.*' } });
    expect(lm.trainableVariables().map((v) => v.name)).toEqual([
      'h.1.mlp.c_fc.lora_A.weight',
      'h.1.mlp.c_fc.lora_B.weight',
      'h.1.mlp.c_proj.lora_A.weight',
      'h.1.mlp.c_proj.lora_B.weight',
    ]);
    await lm.save(join(root, 'regex-adapter'), { adapterOnly: true });
    const { config } = await loadPeftAdapter(join(root, 'regex-adapter'));
    expect(config.targetModules).toEqual(['h.1.mlp.c_fc', 'h.1.mlp.c_proj']);
    const again = await loadCausalLM(dir, { adapterPath: join(root, 'regex-adapter') });
    expect(again.trainableVariables().length).toBe(4);
    lm.dispose();
    again.dispose();
  });

  it('nf4 base: memory report shrinks, logits stay close to fp32', async () => {
    const dir = join(root, 'tiny');
    const lines: string[] = [];
    const q = await loadCausalLM(dir, { quantization: 'nf4', log: (l) => lines.push(l) });
    const f = await loadCausalLM(dir);
    expect(q.memory.loadedBytes).toBeLessThan(f.memory.loadedBytes);
    expect(lines[0]).toMatch(/fp32 → .* held \(nf4\)/);
    const a = q.model.forward(fx.forward.ids).logits!;
    const b = f.model.forward(fx.forward.ids).logits!;
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeLessThan(0.1);
    tf.dispose([a, b]);
    q.dispose();
    f.dispose();
  });
});

describe('quantCacheDuringGenerate', () => {
  const fx = readFixture('tiny');

  it('decodes an nf4 base once per generate call, not per token: same tokens, higher peak during the call, freed after', async () => {
    const dir = join(root, 'tiny-cache');
    await writeRandomGPT2Checkpoint(dir, fixtureConfig(fx), fx.seed);
    const lora = { r: 4, alpha: 8, targetModules: ['c_attn'], seed: 5 };
    // The tfjs decode steps (the native engine decodes nothing per token, see native-decode.test.ts).
    const on = await loadCausalLM(dir, { quantization: 'nf4', lora, nativeDecode: false });
    const off = await loadCausalLM(dir, { quantization: 'nf4', lora, quantCacheDuringGenerate: false, nativeDecode: false });
    const prompts = [[3, 1, 4], [1, 5, 9, 2, 6]];
    const opts = { maxNewTokens: 6, seed: 11, eosTokenId: -1, padTokenId: 0 }; // no EOS: every row runs 6 steps
    const run = async (lm: typeof on) => {
      const before = tf.memory().numBytes;
      let out: Awaited<ReturnType<typeof lm.generate>> | undefined;
      const info = await tf.profile(async () => {
        out = await lm.generate(prompts, opts);
      });
      expect(tf.memory().numBytes).toBe(before); // the cache is freed when generate returns
      // tfjs decode: a GatherNd table lookup per decode (two with double quant); @grpojs/accel: one kernel
      const decodes = info.kernels.filter((k) => k.name === 'GatherNd' || k.name === 'GrpojsNf4Dequantize').length;
      return { out: out!, peak: info.peakBytes - before, decodes };
    };
    await off.generate(prompts, { ...opts, maxNewTokens: 1 }); // creates the shared decode tables (once per process)
    const a = await run(on);
    const b = await run(off);
    expect(a.out.completionIds).toEqual(b.out.completionIds);
    expect(a.out.completionIds[0]).toHaveLength(6);
    expect(a.decodes).toBeGreaterThan(0);
    expect(b.decodes).toBe(6 * a.decodes); // off: every layer decodes at each of the 6 steps
    expect(a.peak).toBeGreaterThan(b.peak); // on: every fp32 weight is alive at once
    expect(on.model.weightBytes()).toBe(off.model.weightBytes());
    on.dispose();
    off.dispose();
  });
});

describe('distilgpt2 shape (6 × 768, vocab 50257)', () => {
  const fx = readFixture('distilgpt2');

  it('an HF checkpoint of the real shape loads and matches torch logits and greedy tokens', async () => {
    const dir = join(root, 'distilgpt2');
    await writeRandomGPT2Checkpoint(dir, fixtureConfig(fx), fx.seed);
    const tokenizer = haveTokenizer ? await loadTokenizer(TOKENIZER_DIR) : undefined;
    const lm = await loadCausalLM(dir, { tokenizer });
    if (tokenizer) expect(tokenizer.encode('Hello, my name is')).toEqual(fx.greedy.prompts[0]);
    const { logits, hidden } = lm.model.forward(fx.forward.ids, { attentionMask: fx.forward.attentionMask });
    const V = lm.config.vocabSize;
    const data = logits!.dataSync();
    const T = fx.forward.ids[0].length;
    let worst = 0;
    for (const row of fx.forward.logits) {
      const full = data.subarray((row.b * T + row.t) * V, (row.b * T + row.t + 1) * V);
      const strided = Array.from(full).filter((_, i) => i % 97 === 0);
      worst = Math.max(worst, maxAbsDiff(strided, row.every97!));
      expect(Math.abs(Array.from(full).reduce((s, v) => s + v, 0) - row.sum)).toBeLessThan(5e-3); // 50257 terms
    }
    expect(worst).toBeLessThan(1e-4);
    tf.dispose([logits!, hidden]);
    const g = fx.greedy;
    const out = await lm.generate(g.prompts, { maxNewTokens: g.maxNewTokens, doSample: false, eosTokenId: g.eosTokenId });
    expect(out.completionIds).toEqual(g.completionIds);
    lm.dispose();
  });
});
