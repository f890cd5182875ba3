/**
 * generate() with the native decode engine against the tfjs path: the same tokens (greedy and
 * sampled with one seed), determinism, flat tfjs tensor count, the path line and its switches
 * (the runtime's and the model's nativeDecode: false, an activation the engine lacks), and the engine
 * following LoRA updates between calls. Skipped with the reason when the engine is not built.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setDecodeRuntime } from './native-helpers.js';
import { initBackend } from '../src/runtime/runtime.js';
import { makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { type CausalLM, loadCausalLM } from '../src/causal-lm.js';
import { writeRandomGPT2Checkpoint } from '../src/architectures/gpt2/random-init.js';

const config = makeGPT2Config({ vocabSize: 64, nPositions: 64, nEmbd: 32, nLayer: 2, nHead: 4, eosTokenId: 63, bosTokenId: 63 });
const prompts = [[1, 2, 3, 4, 5], [6, 7], [8, 9, 10, 11, 12, 13, 14], [15, 16, 17]];

let root: string;
let lm: CausalLM;
const lines: string[] = [];

beforeAll(async () => {
  await initBackend();
  root = await mkdtemp(join(tmpdir(), 'grpojs-native-generate-'));
  await writeRandomGPT2Checkpoint(join(root, 'tiny'), config, 9);
  await setDecodeRuntime({ nativeDecode: true });
  lm = await loadCausalLM(join(root, 'tiny'), { lora: { r: 4, alpha: 8 }, log: (line) => lines.push(line) });
  for (const layer of lm.loraLayers.values()) {
    tf.tidy(() => layer.loraB.assign(tf.randomNormal(layer.loraB.shape, 0, 0.3, 'float32', 2)));
  }
});
afterEach(async () => {
  await setDecodeRuntime({});
});
afterAll(async () => {
  lm.dispose();
  await rm(root, { recursive: true, force: true });
});

/** generate with the tfjs decode steps (the runtime's nativeDecode: false for the call). */
async function tfjsGenerate(options: Parameters<CausalLM['generate']>[1]): Promise<number[][]> {
  await setDecodeRuntime({ nativeDecode: false });
  try {
    return (await lm.generate(prompts, options)).completionIds;
  } finally {
    await setDecodeRuntime({ nativeDecode: true });
  }
}

const native = await (async () => {
  await initBackend();
  await setDecodeRuntime({ nativeDecode: true });
  const dir = await mkdtemp(join(tmpdir(), 'grpojs-native-probe-'));
  await writeRandomGPT2Checkpoint(dir, makeGPT2Config({ vocabSize: 8, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2 }), 1);
  const probe = await loadCausalLM(dir);
  const line = await probe.decodePath();
  probe.dispose();
  await rm(dir, { recursive: true, force: true });
  await setDecodeRuntime({});
  return line;
})();
const skip = !native.startsWith('generate: native');

describe.skipIf(skip)(`generate with the native decode engine${skip ? ` (SKIPPED: ${native})` : ''}`, () => {
  it('greedy: the same tokens as the tfjs decode steps; the path is logged once per change', async () => {
    const options = { maxNewTokens: 24, doSample: false, eosTokenId: [] as number[] };
    const engine = await lm.generate(prompts, options);
    expect(engine.completionIds.every((r) => r.length === 24)).toBe(true);
    expect(engine.completionIds).toEqual(await tfjsGenerate(options));
    expect(lines.at(-1)).toBe('generate: tfjs decode steps (runtime option nativeDecode: false)');
    await lm.generate(prompts, options);
    const count = lines.length;
    expect(lines.at(-1)).toMatch(/^generate: native decode engine \(@grpojs\/accel, (avx2|portable), \d+ threads?; the runtime option nativeDecode: false turns it off\)$/);
    await lm.generate(prompts, options);
    expect(lines).toHaveLength(count);
  });

  it('sampled with one seed (temperature 0.9: rows drawn on the engine; + top-p 0.95: sampleToken): the same tokens as tfjs; the same twice', async () => {
    for (const extra of [{}, { topP: 0.95 }]) {
      const options = { maxNewTokens: 24, temperature: 0.9, seed: 1234, ...extra };
      const a = await lm.generate(prompts, options);
      const b = await lm.generate(prompts, options);
      expect(b.completionIds).toEqual(a.completionIds);
      expect(b.terminated).toEqual(a.terminated);
      expect(a.completionIds).toEqual(await tfjsGenerate(options));
    }
  });

  it('follows LoRA changes and the adapter switch between calls; tfjs tensors stay flat', async () => {
    const options = { maxNewTokens: 16, doSample: false, eosTokenId: [] as number[] };
    await lm.generate(prompts, options); // warm: engine created, weights packed
    const before = tf.memory().numTensors;
    const first = await lm.generate(prompts, options);
    expect(tf.memory().numTensors).toBe(before);
    const layer = [...lm.loraLayers.values()][0];
    const saved = layer.loraB.clone();
    tf.tidy(() => layer.loraB.assign(tf.mul(layer.loraB, 5)));
    const changed = await lm.generate(prompts, options);
    expect(changed.completionIds).not.toEqual(first.completionIds);
    expect(changed.completionIds).toEqual(await tfjsGenerate(options));
    const base = await lm.withAdaptersDisabled(() => lm.generate(prompts, options));
    await setDecodeRuntime({ nativeDecode: false });
    const baseTfjs = await lm.withAdaptersDisabled(() => lm.generate(prompts, options));
    expect(base.completionIds).toEqual(baseTfjs.completionIds);
    layer.loraB.assign(saved);
    saved.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('overlapping generate calls: one holds the engine, the other takes the tfjs steps; same tokens', async () => {
    const options = { maxNewTokens: 12, doSample: false, eosTokenId: [] as number[] };
    const alone = (await lm.generate(prompts, options)).completionIds;
    const both = await Promise.all([lm.generate(prompts, options), lm.generate(prompts, options)]);
    expect(both.map((o) => o.completionIds)).toEqual([alone, alone]);
    expect((await lm.generate(prompts, options)).completionIds).toEqual(alone); // released again
  });

  it('nativeDecode: false and an activation the engine lacks (silu) keep the tfjs path', async () => {
    const off = await loadCausalLM(join(root, 'tiny'), { nativeDecode: false });
    expect(await off.decodePath()).toBe('generate: tfjs decode steps (nativeDecode: false)');
    off.dispose();
    const dir = join(root, 'silu');
    await writeRandomGPT2Checkpoint(dir, { ...config, activationFunction: 'silu' }, 2);
    const silu = await loadCausalLM(dir);
    expect(await silu.decodePath()).toBe("generate: tfjs decode steps (activation 'silu' is not implemented by the engine)");
    const out = await silu.generate(prompts, { maxNewTokens: 4, doSample: false });
    expect(out.completionIds.map((r) => r.length)).toEqual([4, 4, 4, 4]);
    silu.dispose();
    expect(await silu.decodePath()).toMatch(/tfjs decode steps/);
  });
});
