/**
 * KVCache.fromRows: a cache whose rows are chosen rows of another (the prefill of the distinct
 * prompts expanded to every row of a GRPO batch). Values, capacity and length carried over,
 * buffers fresh and exclusive (the in-place writes need that), both copy paths (host memory and
 * tf.gather) on wasm and cpu, decoding on after the expansion, bad row indices, memory flat.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { leftPad } from '../src/inference/generate.js';
import { GPT2Model } from '../src/architectures/gpt2/model.js';
import { hostMemory, KV_CACHE_BLOCK, KVCache, KVCacheError, type KVCacheWrites } from '../src/inference/kv-cache.js';
import { randomGPT2Tensors } from '../src/architectures/gpt2/random-init.js';
import { maxAbsDiff } from './fixture-utils.js';

const config = makeGPT2Config({ vocabSize: 64, nPositions: 80, nEmbd: 32, nLayer: 2, nHead: 4, eosTokenId: 63, bosTokenId: 63 });
const H = config.nHead;
const D = config.nEmbd / config.nHead;
const a = Array.from({ length: 35 }, (_, i) => (i * 7 + 3) % 60); // crosses a block: capacity 64
const b = [6, 7];
const c = [8, 9, 10, 11];
const distinct = [a, b, c];
const rowOf = [2, 0, 0, 1, 2];

beforeAll(async () => {
  await initBackend();
});

/** Prefills `prompts` into a new cache with room for `steps` more positions (caller disposes). */
function prefilled(model: GPT2Model, prompts: number[][], steps: number, writes: KVCacheWrites): KVCache {
  const { ids, mask } = leftPad(prompts, 0);
  const cache = new KVCache(config.nLayer, prompts.length, H, D, ids[0].length + steps, writes);
  const out = model.forward(ids, { attentionMask: mask, pastKeyValues: cache, logits: 'last' });
  tf.dispose([out.logits!, out.hidden]);
  return cache;
}

/** Decodes `steps` fixed tokens per row on `cache` after `prompts`; the logits of each step. */
function decodeOn(model: GPT2Model, cache: KVCache, prompts: number[][], steps: number): Float32Array[] {
  const { mask } = leftPad(prompts, 0);
  const logits: Float32Array[] = [];
  for (let s = 0; s < steps; s++) {
    for (const row of mask) row.push(1);
    const tokens = prompts.map((_, r) => [(s * 5 + r * 3 + 1) % 60]);
    const out = model.forward(tokens, { attentionMask: mask, pastKeyValues: cache, logits: 'last' });
    logits.push(out.logits!.dataSync().slice() as Float32Array);
    tf.dispose([out.logits!, out.hidden]);
  }
  return logits;
}

async function check(model: GPT2Model): Promise<void> {
  for (const writes of ['in-place', 'scatter'] as const) {
    const source = prefilled(model, distinct, 30, writes); // 35 written of 64 slots
    const before = tf.memory().numTensors;
    const rows = KVCache.fromRows(source, rowOf);
    expect(tf.memory().numTensors).toBe(before + 2 * config.nLayer); // its own keys and values per layer
    expect([rows.batch, rows.heads, rows.headDim, rows.maxLen]).toEqual([5, H, D, source.maxLen]);
    expect(rows.length).toBe(35);
    expect(rows.capacity).toBe(source.capacity);
    expect(rows.capacity).toBe(2 * KV_CACHE_BLOCK);
    for (let l = 0; l < config.nLayer; l++) {
      const src = source.buffers(l);
      const dst = rows.buffers(l);
      for (const kind of ['keys', 'values'] as const) {
        expect(dst[kind].shape).toEqual([5, H, rows.capacity, D]);
        expect(dst[kind].dataId).not.toBe(src[kind].dataId);
        expect(hostMemory(dst[kind])).not.toBeNull(); // exclusive: the in-place writes may use it
        const want = src[kind].arraySync();
        const got = dst[kind].arraySync();
        rowOf.forEach((u, r) => expect(got[r]).toEqual(want[u]));
      }
    }
    // Decoding on: the expanded cache against a prefill of the full batch.
    const full = rowOf.map((u) => distinct[u]);
    const reference = prefilled(model, full, 30, writes);
    const want = decodeOn(model, reference, full, 6);
    const got = decodeOn(model, rows, full, 6);
    got.forEach((l, s) => expect(maxAbsDiff(l, want[s])).toBeLessThan(1e-5));
    expect(rows.length).toBe(41);
    // The source is untouched by the new cache's writes and outlives it.
    const again = KVCache.fromRows(source, [0, 1, 2]);
    rows.dispose();
    expect(again.buffers(1).keys.arraySync()).toEqual(source.buffers(1).keys.arraySync());
    again.dispose();
    reference.dispose();
    source.dispose();
    expect(tf.memory().numTensors).toBe(before - 2 * config.nLayer);
  }
}

describe('KVCache.fromRows', () => {
  it('copies the chosen rows into fresh exclusive buffers; decoding on matches the full batch (wasm and cpu, both copy paths)', async () => {
    const model = new GPT2Model(config, randomGPT2Tensors(config, 5));
    await check(model);
    model.dispose();
    const backend = tf.getBackend();
    await tf.setBackend('cpu');
    try {
      const cpuModel = new GPT2Model(config, randomGPT2Tensors(config, 5));
      await check(cpuModel);
      cpuModel.dispose();
    } finally {
      await tf.setBackend(backend);
    }
  });

  it('rejects rows outside the source, an empty index and a source inside a step', () => {
    const model = new GPT2Model(config, randomGPT2Tensors(config, 5));
    const source = prefilled(model, [b, c], 2, 'in-place');
    expect(() => KVCache.fromRows(source, [0, 2])).toThrow(/rowIndex\[1\] = 2 is not a row of the source cache \(batch 2\)/);
    expect(() => KVCache.fromRows(source, [0.5])).toThrow(KVCacheError);
    expect(() => KVCache.fromRows(source, [])).toThrow(/rowIndex is empty/);
    source.beginStep(1);
    expect(() => KVCache.fromRows(source, [0])).toThrow(/inside a step/);
    source.endStep();
    source.dispose();
    model.dispose();
  });
});
