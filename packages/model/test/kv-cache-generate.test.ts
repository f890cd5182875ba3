/** KV-cache decoding vs full recompute, fixed-size cache buffers, and seeded batched generation. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { generate, leftPad } from '../src/inference/generate.js';
import { GPT2Model } from '../src/architectures/gpt2/model.js';
import { KV_CACHE_BLOCK, KVCache, KVCacheError, type KVCacheWrites } from '../src/inference/kv-cache.js';
import { randomGPT2Tensors } from '../src/architectures/gpt2/random-init.js';
import { maxAbsDiff } from './fixture-utils.js';

const config = makeGPT2Config({ vocabSize: 64, nPositions: 40, nEmbd: 32, nLayer: 2, nHead: 4, eosTokenId: 63, bosTokenId: 63 });
let model: GPT2Model;

beforeAll(async () => {
  await initBackend();
  model = new GPT2Model(config, randomGPT2Tensors(config, 11));
});

describe('KV cache', () => {
  it('decoding a left-padded batch step by step matches full recompute at every step', () => {
    const prompts = [[1, 2, 3, 4, 5], [6, 7], [8, 9, 10]];
    const next = [
      [11, 12, 13],
      [14, 15, 16],
      [17, 18, 19],
      [20, 21, 22],
    ]; // step × row
    const { ids, mask } = leftPad(prompts, 0);
    const cache = model.createCache(3, ids[0].length + next.length);
    const first = model.forward(ids, { attentionMask: mask, pastKeyValues: cache, logits: 'last' });
    const stepLogits = [first.logits!.dataSync().slice()];
    tf.dispose([first.logits!, first.hidden]);
    const numTensors = tf.memory().numTensors;
    for (const tokens of next) {
      tokens.forEach((t, b) => {
        ids[b].push(t);
        mask[b].push(1);
      });
      const out = model.forward(tokens.map((t) => [t]), { attentionMask: mask, pastKeyValues: cache, logits: 'last' });
      stepLogits.push(out.logits!.dataSync().slice());
      tf.dispose([out.logits!, out.hidden]);
      expect(tf.memory().numTensors).toBe(numTensors); // fixed buffers: no growth per step
    }
    expect(cache.length).toBe(ids[0].length);
    // Full recompute of the whole (padded) sequence; compare the logits at each decoded position.
    const full = model.forward(ids, { attentionMask: mask });
    const all = full.logits!.arraySync() as number[][][];
    const P = prompts.reduce((m, p) => Math.max(m, p.length), 0);
    stepLogits.forEach((flat, s) => {
      for (let b = 0; b < 3; b++) {
        const cached = flat.subarray(b * config.vocabSize, (b + 1) * config.vocabSize);
        expect(maxAbsDiff(cached, all[b][P - 1 + s])).toBeLessThan(1e-5);
      }
    });
    tf.dispose([full.logits!, full.hidden]);
    expect(() => model.forward([[1], [2], [3]], { attentionMask: mask.map((r) => [...r, 1]), pastKeyValues: cache })).toThrow(KVCacheError);
    cache.dispose();
  });

  it('in-place and scatter writes match full recompute across buffer growth, on wasm and cpu, memory flat', async () => {
    // Prompts of up to 30 tokens + 6 steps cross the first block boundary (32) of the buffers.
    const prompts = [Array.from({ length: 30 }, (_, i) => (i * 7) % 60), [5, 9, 2]];
    const steps = 6;
    const decode = (m: GPT2Model, writes: KVCacheWrites): Float32Array[] => {
      const { ids, mask } = leftPad(prompts, 0);
      const cache = new KVCache(config.nLayer, 2, config.nHead, config.nEmbd / config.nHead, ids[0].length + steps, writes);
      const logits: Float32Array[] = [];
      let input = ids;
      let numTensors = -1;
      for (let s = 0; s <= steps; s++) {
        const out = m.forward(input, { attentionMask: mask, pastKeyValues: cache, logits: 'last' });
        logits.push(out.logits!.dataSync().slice() as Float32Array);
        tf.dispose([out.logits!, out.hidden]);
        if (s > 0) expect(tf.memory().numTensors).toBe(numTensors); // growth replaces buffers: count flat
        numTensors = tf.memory().numTensors;
        expect(cache.capacity).toBe(Math.min(cache.maxLen, Math.ceil(cache.length / KV_CACHE_BLOCK) * KV_CACHE_BLOCK));
        input = [[(s * 3 + 1) % 60], [(s * 5 + 2) % 60]];
        for (const row of mask) row.push(1);
      }
      expect(cache.capacity).toBe(36); // grew past 32, capped at maxLen
      cache.dispose();
      return logits;
    };
    const stepKernels = async (m: GPT2Model, writes: KVCacheWrites): Promise<string[]> => {
      const cache = new KVCache(config.nLayer, 2, config.nHead, config.nEmbd / config.nHead, 4, writes);
      const mask = [[1, 1, 1], [0, 1, 1]];
      const prefill = m.forward([[1, 2, 3], [0, 4, 5]], { attentionMask: mask, pastKeyValues: cache, logits: 'last' });
      tf.dispose([prefill.logits!, prefill.hidden]);
      const info = await tf.profile(() => {
        const out = m.forward([[6], [7]], { attentionMask: mask.map((r) => [...r, 1]), pastKeyValues: cache, logits: 'last' });
        tf.dispose([out.logits!, out.hidden]);
      });
      cache.dispose();
      return info.kernelNames;
    };
    const check = async (m: GPT2Model): Promise<void> => {
      expect(await stepKernels(m, 'in-place')).not.toContain('TensorScatterUpdate'); // written in place
      expect(await stepKernels(m, 'scatter')).toContain('TensorScatterUpdate');
      const inPlace = decode(m, 'in-place');
      const scatter = decode(m, 'scatter');
      inPlace.forEach((l, s) => expect(maxAbsDiff(l, scatter[s])).toBeLessThan(1e-5));
      // Full recompute of the whole sequence decoded above.
      const { ids, mask } = leftPad(prompts, 0);
      for (let s = 0; s < steps; s++) {
        ids[0].push((s * 3 + 1) % 60);
        ids[1].push((s * 5 + 2) % 60);
        for (const row of mask) row.push(1);
      }
      const full = m.forward(ids, { attentionMask: mask });
      const all = full.logits!.arraySync() as number[][][];
      for (let s = 0; s <= steps; s++) {
        for (let b = 0; b < 2; b++) {
          const cached = inPlace[s].subarray(b * config.vocabSize, (b + 1) * config.vocabSize);
          expect(maxAbsDiff(cached, all[b][29 + s])).toBeLessThan(1e-5);
        }
      }
      tf.dispose([full.logits!, full.hidden]);
    };
    await check(model);
    const backend = tf.getBackend();
    await tf.setBackend('cpu');
    try {
      const cpuModel = new GPT2Model(config, randomGPT2Tensors(config, 11));
      await check(cpuModel);
      cpuModel.dispose();
    } finally {
      await tf.setBackend(backend);
    }
  });

  it('padding does not change a row: padded and unpadded runs agree', () => {
    const alone = model.forward([[6, 7, 8]], { logits: 'last' });
    const { ids, mask } = leftPad([[1, 2, 3, 4, 5, 6], [6, 7, 8]], 0);
    const padded = model.forward(ids, { attentionMask: mask, logits: 'last' });
    const row1 = padded.logits!.dataSync().slice(config.vocabSize);
    expect(maxAbsDiff(row1, alone.logits!.dataSync())).toBeLessThan(1e-5);
    tf.dispose([alone.logits!, alone.hidden, padded.logits!, padded.hidden]);
  });
});

describe('generate', () => {
  const prompts = [[1, 2, 3], [4], [5, 6, 7, 8, 9]];

  it('same seed → same tokens; another seed → different tokens', async () => {
    const opts = { maxNewTokens: 12, temperature: 1.5, seed: 42, eosTokenId: 63 };
    const a = await generate(model, prompts, opts);
    const b = await generate(model, prompts, opts);
    const c = await generate(model, prompts, { ...opts, seed: 43 });
    expect(a).toEqual(b);
    expect(c.completionIds).not.toEqual(a.completionIds);
    for (const [i, row] of a.completionIds.entries()) {
      expect(row.length).toBeLessThanOrEqual(12);
      expect(a.terminated[i]).toBe(row.at(-1) === 63);
      expect(row.slice(0, -1)).not.toContain(63); // stops at the first EOS
    }
  });

  it('greedy equals sampling with topK = 1, and rows are independent of their batch mates', async () => {
    const greedy = await generate(model, prompts, { maxNewTokens: 6, doSample: false });
    const topK1 = await generate(model, prompts, { maxNewTokens: 6, topK: 1, seed: 3 });
    expect(topK1.completionIds).toEqual(greedy.completionIds);
    const single = await generate(model, [prompts[1]], { maxNewTokens: 6, doSample: false });
    expect(single.completionIds[0]).toEqual(greedy.completionIds[1]);
  });

  it('finished rows stop while others continue; several EOS ids are accepted', async () => {
    const free = await generate(model, prompts, { maxNewTokens: 8, doSample: false, eosTokenId: [] });
    const eos = free.completionIds[0][1];
    const out = await generate(model, prompts, { maxNewTokens: 8, doSample: false, eosTokenId: [62, eos] });
    expect(out.terminated[0]).toBe(true);
    expect(out.terminated.some((t) => !t) || out.completionIds.some((r) => r.length > 1)).toBe(true);
    for (const [i, row] of out.completionIds.entries()) {
      const stop = free.completionIds[i].findIndex((t) => t === eos || t === 62);
      expect(row).toEqual(stop === -1 ? free.completionIds[i] : free.completionIds[i].slice(0, stop + 1));
    }
  });

  it('rejects bad arguments with errors naming them', async () => {
    await expect(generate(model, [], { maxNewTokens: 2 })).rejects.toThrow(/promptIds/);
    await expect(generate(model, [[1], []], { maxNewTokens: 2 })).rejects.toThrow(/row 1 is empty/);
    await expect(generate(model, [[1]], { maxNewTokens: 40 })).rejects.toThrow(/n_positions 40/);
    await expect(generate(model, [[1]], { maxNewTokens: 2, temperature: 0 })).rejects.toThrow(/temperature/);
    await expect(generate(model, [[1]], { maxNewTokens: 2, topP: 0 })).rejects.toThrow(/topP/);
    await expect(generate(model, [[99]], { maxNewTokens: 2 })).rejects.toThrow(/outside the vocabulary/);
  });
});
