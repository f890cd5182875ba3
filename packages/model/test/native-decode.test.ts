/**
 * The native decode engine (@grpojs/accel) against the tfjs forward, step by step over a
 * left-padded batch with a KV cache: tiny and C = 768 configs, LoRA on and off, an NF4 base,
 * scale_attn_by_inverse_layer_idx, an untied head. Skipped with the reason when the addon (with the
 * engine) is not built. generate()-level tests are in native-decode-generate.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { type GPT2Config, makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { loadCausalLM, type CausalLM } from '../src/causal-lm.js';
import { leftPad } from '../src/inference/generate.js';
import { GPT2Model } from '../src/architectures/gpt2/model.js';
import { NativeDecoder } from '../src/inference/native-decode.js';
import { randomGPT2Tensors, writeRandomGPT2Checkpoint } from '../src/architectures/gpt2/random-init.js';
import { Mulberry32, sampleToken } from '../src/inference/sampling.js';
import { maxAbsDiff } from './fixture-utils.js';
import { gpt2Of } from './native-helpers.js';

/** Largest logit difference the engine may show against tfjs (both fp32, different summation order). */
const TOLERANCE = 1e-4;

const probe = await (async () => {
  await initBackend();
  const config = makeGPT2Config({ vocabSize: 8, nPositions: 4, nEmbd: 8, nLayer: 1, nHead: 2 });
  const m = new GPT2Model(config, randomGPT2Tensors(config, 1));
  const made = await NativeDecoder.create(m);
  made.decoder?.dispose();
  m.dispose();
  return made;
})();
const skip = probe.decoder === null;
const note = skip ? ` (SKIPPED: ${probe.reason})` : '';

const tiny = makeGPT2Config({ vocabSize: 64, nPositions: 64, nEmbd: 32, nLayer: 2, nHead: 4, eosTokenId: 63, bosTokenId: 63 });
const prompts = [[1, 2, 3, 4, 5], [6, 7], [8, 9, 10, 11, 12, 13, 14], [15, 16, 17]];

/**
 * Prefills `prompts` with the tfjs forward, then feeds the same pseudo-random tokens to the tfjs
 * forward (on the cache) and to the engine for `steps` steps; returns the largest logit difference.
 */
async function compareSteps(model: GPT2Model, steps: number, threads = 2): Promise<number> {
  const made = await NativeDecoder.create(model, { threads });
  const decoder = made.decoder as NativeDecoder;
  decoder.prepare();
  const { ids, mask } = leftPad(prompts, 0);
  const P = ids[0].length;
  const starts = prompts.map((r) => P - r.length);
  const cache = model.createCache(prompts.length, P + steps);
  const first = model.forward(ids, { attentionMask: mask, pastKeyValues: cache, logits: 'last' });
  tf.dispose([first.logits!, first.hidden]);
  decoder.begin(cache, starts, P + steps);
  let worst = 0;
  for (let s = 1; s <= steps; s++) {
    const tokens = prompts.map((_, b) => (s * 7 + b * 13) % model.config.vocabSize);
    for (const row of mask) row.push(1);
    const out = model.forward(tokens.map((t) => [t]), { attentionMask: mask, pastKeyValues: cache, logits: 'last' });
    const want = out.logits!.dataSync() as Float32Array;
    const got = decoder.step(tokens, starts.map((st) => P - st + s - 1));
    worst = Math.max(worst, maxAbsDiff(got, want));
    tf.dispose([out.logits!, out.hidden]);
  }
  cache.dispose();
  decoder.end();
  decoder.dispose();
  return worst;
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'grpojs-native-decode-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A CausalLM from a random checkpoint of `config`, with random (non-zero) LoRA A and B when `lora`. */
async function randomLM(name: string, config: GPT2Config, options: Parameters<typeof loadCausalLM>[1] = {}): Promise<CausalLM> {
  const dir = join(root, name);
  await writeRandomGPT2Checkpoint(dir, config, 3);
  const lm = await loadCausalLM(dir, options);
  for (const layer of lm.loraLayers.values()) {
    tf.tidy(() => {
      layer.loraA.assign(tf.randomNormal(layer.loraA.shape, 0, 0.3, 'float32', 1));
      layer.loraB.assign(tf.randomNormal(layer.loraB.shape, 0, 0.3, 'float32', 2));
    });
  }
  return lm;
}

describe.skipIf(skip)(`native decode engine vs the tfjs forward, step by step${note}`, () => {
  it(`tiny GPT-2, 4 left-padded rows of lengths 5/2/7/3, 24 steps: max |Δlogit| ≤ ${TOLERANCE}`, async () => {
    const model = new GPT2Model(tiny, randomGPT2Tensors(tiny, 11));
    expect(await compareSteps(model, 24)).toBeLessThan(TOLERANCE);
    model.dispose();
  });

  it('C = 768, 12 heads (2 layers, vocab 96), 20 steps', async () => {
    const config = makeGPT2Config({ vocabSize: 96, nPositions: 40, nEmbd: 768, nLayer: 2, nHead: 12, eosTokenId: 95, bosTokenId: 95 });
    const model = new GPT2Model(config, randomGPT2Tensors(config, 5));
    expect(await compareSteps(model, 20)).toBeLessThan(TOLERANCE);
    model.dispose();
  });

  it('scale_attn_by_inverse_layer_idx, an untied head and relu; exact gelu', async () => {
    for (const overrides of [
      { scaleAttnByInverseLayerIdx: true, tieWordEmbeddings: false, activationFunction: 'relu' as const },
      { activationFunction: 'gelu' as const, scaleAttnWeights: false },
    ]) {
      const config = { ...tiny, ...overrides };
      const model = new GPT2Model(config, randomGPT2Tensors(config, 12));
      expect(await compareSteps(model, 20)).toBeLessThan(TOLERANCE);
      model.dispose();
    }
  });

  it('LoRA with random A and B, adapters on and off; an NF4 base with LoRA', async () => {
    const lora = { r: 4, alpha: 8, targetModules: ['c_attn', 'mlp.c_fc'] };
    const lm = await randomLM('lora', tiny, { lora });
    const on = lm.model.forward([prompts[0]]);
    const off = lm.withAdaptersDisabled(() => lm.model.forward([prompts[0]]));
    expect(maxAbsDiff(on.logits!.dataSync(), off.logits!.dataSync())).toBeGreaterThan(0.05); // the adapters matter
    tf.dispose([on.logits!, on.hidden, off.logits!, off.hidden]);
    expect(await compareSteps(gpt2Of(lm), 20)).toBeLessThan(TOLERANCE);
    expect(await lm.withAdaptersDisabled(() => compareSteps(gpt2Of(lm), 20))).toBeLessThan(TOLERANCE);
    lm.dispose();
    const nf4 = await randomLM('nf4', tiny, { lora, quantization: 'nf4' });
    expect(await compareSteps(gpt2Of(nf4), 20)).toBeLessThan(TOLERANCE);
    nf4.dispose();
  });

  it('sampling on the engine draws the same tokens as sampleToken (same uniforms, rows in parallel)', async () => {
    const V = 301;
    const config = makeGPT2Config({ vocabSize: V, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2 });
    const model = new GPT2Model(config, randomGPT2Tensors(config, 1));
    const decoder = (await NativeDecoder.create(model, { threads: 2 })).decoder as NativeDecoder;
    const rows = 9;
    const logits = new Float32Array(rows * V);
    let seed = 5;
    for (const temperature of [0.7, 1, 1.3]) {
      for (let rep = 0; rep < 20; rep++) {
        const r = new Mulberry32(seed++);
        for (let i = 0; i < logits.length; i++) logits[i] = (r.next() * 2 - 1) * 12 * (i % 17 === 0 ? 3 : 1);
        const done = Array.from({ length: rows }, (_, b) => (b + rep) % 4 === 0);
        const opts = { doSample: true, temperature, topK: 0, topP: 1 };
        const [a, b] = [new Mulberry32(rep), new Mulberry32(rep)];
        const got = Array.from(decoder.sample(logits, opts, done, a) as Int32Array);
        const want = done.map((d, row) => (d ? -1 : sampleToken(logits.subarray(row * V, (row + 1) * V), opts, b)));
        expect(got).toEqual(want);
        expect(a.state).toBe(b.state);
      }
    }
    expect(decoder.sample(logits, { doSample: true, temperature: 1, topK: 5, topP: 1 }, [false], new Mulberry32(1))).toBeNull();
    decoder.dispose();
    model.dispose();
  });

  it('on the cpu backend too (tiny, 12 steps)', async () => {
    await initBackend('cpu');
    try {
      const model = new GPT2Model(tiny, randomGPT2Tensors(tiny, 13));
      expect(await compareSteps(model, 12)).toBeLessThan(TOLERANCE);
      model.dispose();
    } finally {
      await initBackend('wasm');
    }
  });

  it('1 thread and 2 threads give bit-identical logits', async () => {
    const model = new GPT2Model(tiny, randomGPT2Tensors(tiny, 4));
    const logits = async (threads: number): Promise<Float32Array> => {
      const decoder = (await NativeDecoder.create(model, { threads })).decoder as NativeDecoder;
      decoder.prepare();
      const cache = model.createCache(prompts.length, 12);
      const { ids, mask } = leftPad(prompts, 0);
      const first = model.forward(ids, { attentionMask: mask, pastKeyValues: cache, logits: 'last' });
      tf.dispose([first.logits!, first.hidden]);
      decoder.begin(cache, prompts.map((r) => 7 - r.length), 12);
      const out = Float32Array.from(decoder.step([1, 2, 3, 4], [5, 2, 7, 3]));
      cache.dispose();
      decoder.dispose();
      return out;
    };
    const [one, two] = [await logits(1), await logits(2)];
    expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
    model.dispose();
  });
});
