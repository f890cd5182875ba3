/**
 * generate() on the Llama family through @grpojs/accel's native LlamaDecodeEngine against the tfjs
 * decode steps and the float64 torch reference in fixtures/llama (GQA untied; MQA tied with llama3
 * rope and biases, BF16; Qwen2 qkv bias; Qwen3 q/k norm with headDim ≠ hidden / heads): greedy
 * tokens identical to the reference's and to tfjs's, every step's logits within 1e-4 of tfjs's, on
 * the left-padded batch of the fixture; with the reference PEFT LoRA adapter (and after the adapter
 * changes); with an NF4 base kept as codes in the engine; sampled tokens with one seed; a flat
 * tf.memory().numTensors. Skipped with the reason when the addon is not built.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CausalLM, loadCausalLM } from '../src/causal-lm.js';
import { LlamaModel } from '../src/architectures/llama/model.js';
import { generate } from '../src/inference/generate.js';
import { NativeLlamaDecoder } from '../src/inference/native-llama-decode.js';
import type { QuantizedConv1D } from '../src/quant/quantized-conv1d.js';
import { initBackend } from '../src/runtime/runtime.js';
import type { GenerateOptions } from '../src/types.js';
import { nativeOff, setDecodeRuntime } from './native-helpers.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/llama');
const VARIANTS = ['llama-gqa-untied', 'llama-mqa-tied-rope3-bias', 'qwen2-qkv-bias-sharded', 'qwen3-qknorm'] as const;
const LOGIT_TOL = 1e-4;

interface Expected {
  input_ids: number[][];
  attention_mask: number[][];
  greedy: { new_tokens: number; tokens: number[][] };
}
const expected = (variant: string): Expected => JSON.parse(readFileSync(join(FIXTURES, variant, 'expected.json'), 'utf8')) as Expected;
const unpadded = (fx: Expected): number[][] => fx.input_ids.map((row, b) => row.filter((_, t) => fx.attention_mask[b][t] === 1));

beforeAll(async () => {
  await initBackend();
  await setDecodeRuntime({ nativeDecode: true });
});
afterEach(async () => {
  await setDecodeRuntime({});
});

/** Tokens and every step's logits of generate, on the native engine (`native`) or the tfjs steps. */
async function run(lm: CausalLM, prompts: number[][], options: GenerateOptions, native: boolean): Promise<{ tokens: number[][]; logits: Float32Array[]; nf4: number }> {
  const model = lm.model as LlamaModel;
  let decoder: NativeLlamaDecoder | null = null;
  if (native) {
    const made = await NativeLlamaDecoder.create(model, { threads: 2 });
    if (made.decoder === null) throw new Error(made.reason);
    decoder = made.decoder;
    decoder.prepare();
  }
  const logits: Float32Array[] = [];
  try {
    const out = await generate(model, prompts, options, decoder, { onLogits: (_, l) => logits.push(Float32Array.from(l)) });
    return { tokens: out.completionIds, logits, nf4: decoder?.memory().nf4Projections ?? 0 };
  } finally {
    decoder?.dispose();
  }
}

function worstDiff(a: Float32Array[], b: Float32Array[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((step, s) => step.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[s][i])))));
  return worst;
}

describe.skipIf(nativeOff())('Llama family on the native decode engine', () => {
  describe.each(VARIANTS)('%s', (variant) => {
    const fx = expected(variant);
    const dir = join(FIXTURES, variant);
    const prompts = unpadded(fx);
    const greedy: GenerateOptions = { maxNewTokens: fx.greedy.new_tokens, doSample: false, eosTokenId: [] };

    it('greedy tokens of the left-padded batch equal the reference and tfjs; per-step logits within 1e-4 of tfjs', async () => {
      const lm = await loadCausalLM(dir);
      expect(await lm.decodePath()).toMatch(/native decode engine \(@grpojs\/accel, Llama engine/);
      const native = await run(lm, prompts, greedy, true);
      const tfjs = await run(lm, prompts, greedy, false);
      expect(native.tokens).toEqual(fx.greedy.tokens);
      expect(tfjs.tokens).toEqual(fx.greedy.tokens);
      expect(worstDiff(native.logits, tfjs.logits)).toBeLessThan(LOGIT_TOL);
      lm.dispose();
    });

    it('sampled tokens with one seed equal the tfjs path; numTensors flat over generations', async () => {
      const lm = await loadCausalLM(dir);
      const options: GenerateOptions = { maxNewTokens: 5, temperature: 1.3, seed: 11 };
      const tfjs = await run(lm, prompts, options, false);
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const out = await lm.generate(prompts, options); // the CausalLM's own engine
        expect(out.completionIds).toEqual(tfjs.tokens);
        counts.push(tf.memory().numTensors);
      }
      expect(new Set(counts).size).toBe(1);
      lm.dispose();
    });

    it('an NF4 base: projections kept as codes, tokens identical to the tfjs NF4 path, logits within 1e-4', async () => {
      const lm = await loadCausalLM(dir, { quantization: 'nf4' });
      const native = await run(lm, prompts, greedy, true);
      const tfjs = await run(lm, prompts, greedy, false);
      // a projection stays codes when its NF4 blocks run along `in` (in % 64 = 0); others go in dequantized
      const asCodes = [...lm.model.linearLayers().values()].filter((l) => (l as Partial<QuantizedConv1D>).readNf4State?.()?.inOutOrder === true).length;
      expect(native.nf4).toBe(asCodes);
      if (variant === 'llama-mqa-tied-rope3-bias' || variant === 'qwen3-qknorm') expect(asCodes).toBeGreaterThan(0);
      expect(native.tokens).toEqual(tfjs.tokens);
      expect(worstDiff(native.logits, tfjs.logits)).toBeLessThan(LOGIT_TOL);
      lm.dispose();
    });
  });

  describe.each(['llama-gqa-untied', 'qwen3-qknorm'])('%s with the reference PEFT LoRA adapter', (variant) => {
    const fx = expected(variant);
    const dir = join(FIXTURES, variant);
    const prompts = unpadded(fx);
    const greedy: GenerateOptions = { maxNewTokens: fx.greedy.new_tokens, doSample: false, eosTokenId: [] };

    it('tokens identical to tfjs and logits within 1e-4, also after the adapter changes and with it disabled', async () => {
      const lm = await loadCausalLM(dir, { adapterPath: join(dir, 'adapter') });
      const check = async (): Promise<number[][]> => {
        const native = await run(lm, prompts, greedy, true);
        const tfjs = await run(lm, prompts, greedy, false);
        expect(native.tokens).toEqual(tfjs.tokens);
        expect(worstDiff(native.logits, tfjs.logits)).toBeLessThan(LOGIT_TOL);
        return native.tokens;
      };
      const before = await check();
      for (const layer of lm.loraLayers.values()) tf.tidy(() => layer.loraB.assign(tf.randomNormal(layer.loraB.shape, 0, 0.5, 'float32', 3)));
      expect(await check()).not.toEqual(before);
      expect(await lm.withAdaptersDisabled(check)).toEqual(fx.greedy.tokens); // the base model's tokens
      // the CausalLM's own engine re-copies the LoRA projections at every call
      const options: GenerateOptions = { maxNewTokens: 4, seed: 5 };
      const viaLm = await lm.generate(prompts, options);
      await setDecodeRuntime({ nativeDecode: false });
      expect((await lm.generate(prompts, options)).completionIds).toEqual(viaLm.completionIds);
      lm.dispose();
    });
  });
});
