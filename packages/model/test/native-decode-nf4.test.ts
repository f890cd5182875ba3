/**
 * Frozen NF4 projections in the native decode engine as 4-bit codes (readNf4State → setLinearNf4)
 * against the same engine given their dequantized fp32 weight (the runtime option nativeDecodeNf4Codes: false): logits
 * bit-identical step by step and within 1e-4 of the tfjs forward, with LoRA on c_attn (fp32 in
 * both); a shape where some layers cannot keep codes (in % 64 ≠ 0) falls back for those only;
 * generate's tokens are the same either way and the tfjs tensor count stays flat; the codes hold
 * less native memory. Skipped with the reason when the engine is not built.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { type GPT2Config, makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { type CausalLM, loadCausalLM } from '../src/causal-lm.js';
import { leftPad } from '../src/inference/generate.js';
import { GPT2Model } from '../src/architectures/gpt2/model.js';
import { NativeDecoder } from '../src/inference/native-decode.js';
import { randomGPT2Tensors, writeRandomGPT2Checkpoint } from '../src/architectures/gpt2/random-init.js';
import { createQuantizedConv1D, type NF4State, type QuantizedConv1D } from '../src/quant/quantized-conv1d.js';
import { maxAbsDiff } from './fixture-utils.js';
import { gpt2Of, setDecodeRuntime } from './native-helpers.js';

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

const prompts = [[1, 2, 3, 4, 5], [6, 7], [8, 9, 10, 11, 12, 13, 14]];
// C = 64: every projection's `in` (64, 256) is a multiple of the 64-blocks → c_proj, c_fc, mlp.c_proj as codes
const c64 = makeGPT2Config({ vocabSize: 96, nPositions: 48, nEmbd: 64, nLayer: 2, nHead: 4, eosTokenId: 95, bosTokenId: 95 });
// C = 48: only mlp.c_proj (in 192) can keep codes; attn.c_proj and c_fc (in 48) fall back to fp32 panels
const c48 = { ...c64, nEmbd: 48 };
const lora = { r: 4, alpha: 8, targetModules: ['c_attn'] };

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'grpojs-native-nf4-'));
});
afterEach(async () => {
  await setDecodeRuntime({});
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function nf4LM(name: string, config: GPT2Config): Promise<CausalLM> {
  await writeRandomGPT2Checkpoint(join(root, name), config, 4);
  const lm = await loadCausalLM(join(root, name), { lora, quantization: 'nf4' });
  for (const layer of lm.loraLayers.values()) {
    tf.tidy(() => layer.loraB.assign(tf.randomNormal(layer.loraB.shape, 0, 0.3, 'float32', 2)));
  }
  return lm;
}

/**
 * The engine's logits for 12 steps after a tfjs prefill of `prompts`, with NF4 projections as codes
 * (`codes`) or fp32 panels; also the largest difference from the tfjs forward and the engine memory.
 */
async function engineSteps(model: GPT2Model, codes: boolean): Promise<{ logits: Float32Array[]; worst: number; bytes: number; nf4: number }> {
  await setDecodeRuntime({ nativeDecodeNf4Codes: codes });
  const decoder = (await NativeDecoder.create(model, { threads: 2 })).decoder as NativeDecoder;
  decoder.prepare();
  const steps = 12;
  const { ids, mask } = leftPad(prompts, 0);
  const P = ids[0].length;
  const starts = prompts.map((r) => P - r.length);
  const cache = model.createCache(prompts.length, P + steps);
  const first = model.forward(ids, { attentionMask: mask, pastKeyValues: cache, logits: 'last' });
  tf.dispose([first.logits!, first.hidden]);
  decoder.begin(cache, starts, P + steps);
  const logits: Float32Array[] = [];
  let worst = 0;
  for (let s = 1; s <= steps; s++) {
    const tokens = prompts.map((_, b) => (s * 7 + b * 13) % model.config.vocabSize);
    for (const row of mask) row.push(1);
    const out = model.forward(tokens.map((t) => [t]), { attentionMask: mask, pastKeyValues: cache, logits: 'last' });
    const got = decoder.step(tokens, starts.map((st) => P - st + s - 1)).slice();
    worst = Math.max(worst, maxAbsDiff(got, out.logits!.dataSync() as Float32Array));
    logits.push(got);
    tf.dispose([out.logits!, out.hidden]);
  }
  const { bytes, nf4Projections } = decoder.memory();
  cache.dispose();
  decoder.end();
  decoder.dispose();
  return { logits, worst, bytes, nf4: nf4Projections };
}

const same = (a: Float32Array[], b: Float32Array[]): boolean => a.every((x, i) => Buffer.from(x.buffer).equals(Buffer.from(b[i].buffer)));

/** The weight [in, out] that `state` describes: table[code] · absmax[block], one float32 multiply. */
function decodeState(state: NF4State, inF: number, out: number): Float32Array {
  const m = state.codeWords.length;
  const w = new Float32Array(inF * out);
  for (let i = 0; i < inF; i++) {
    for (let o = 0; o < out; o++) {
      const f = state.inOutOrder ? i * out + o : o * inF + i;
      const word = state.codeWords[f < 4 * m ? f >> 2 : (f - 4 * m) >> 2];
      const code = (word >>> ((f < 4 * m ? 0 : 16) + 4 * (f % 4))) & 15;
      w[i * out + o] = Math.fround(state.table[code] * state.absmax[Math.floor((o * inF + i) / state.blockSize)]);
    }
  }
  return w;
}

describe('QuantizedConv1D.readNf4State', () => {
  it('describes the dequantized weight bit for bit (double quant on and off, both code orders); int8: null', () => {
    const next = (() => {
      let s = 7;
      return () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
    })();
    for (const [inF, out, doubleQuant] of [[128, 24, true], [128, 40, false], [48, 16, true]] as const) {
      const weight = { shape: [inF, out], data: Float32Array.from({ length: inF * out }, next) };
      const bias = { shape: [out], data: new Float32Array(out) };
      const layer = createQuantizedConv1D(weight, bias, 'nf4', { doubleQuant });
      const state = layer.readNf4State()!;
      expect(state.inOutOrder).toBe(inF % 64 === 0);
      const want = tf.tidy(() => layer.readWeight().dataSync() as Float32Array);
      expect(Buffer.from(decodeState(state, inF, out).buffer).equals(Buffer.from(want.buffer))).toBe(true);
      layer.dispose();
    }
    const int8 = createQuantizedConv1D({ shape: [64, 8], data: new Float32Array(512).fill(0.5) }, { shape: [8], data: new Float32Array(8) }, 'int8');
    expect(int8.readNf4State()).toBeNull();
    int8.dispose();
  });
});

describe.skipIf(skip)(`native decode with NF4 codes${skip ? ` (SKIPPED: ${probe.reason})` : ''}`, () => {
  it('C = 64, LoRA on c_attn: codes give the fp32-panel logits bit for bit, within 1e-4 of tfjs, in less memory', async () => {
    const lm = await nf4LM('c64', c64);
    const codes = await engineSteps(gpt2Of(lm), true);
    const panels = await engineSteps(gpt2Of(lm), false);
    expect(codes.nf4).toBe(3 * c64.nLayer);
    expect(panels.nf4).toBe(0);
    expect(same(codes.logits, panels.logits)).toBe(true);
    expect(codes.worst).toBeLessThan(1e-4);
    // c_proj + c_fc + mlp.c_proj: 4 bytes per weight as panels, ~0.56 as codes (+ a 3-panel decode scratch per thread)
    const weights = c64.nLayer * 9 * c64.nEmbd * c64.nEmbd;
    const scratch = 2 * 3 * 4 * c64.nEmbd * 8 * 4;
    expect(panels.bytes - codes.bytes).toBeGreaterThan(3.4 * weights - scratch);
    lm.dispose();
  });

  it('C = 48: layers whose `in` is not a multiple of the blocks fall back to fp32 panels; still bit-identical', async () => {
    const lm = await nf4LM('c48', c48);
    const state = (gpt2Of(lm).conv1DLayers().get('h.0.attn.c_proj') as QuantizedConv1D).readNf4State();
    expect(state?.inOutOrder).toBe(false);
    expect((gpt2Of(lm).conv1DLayers().get('h.0.mlp.c_proj') as QuantizedConv1D).readNf4State()?.inOutOrder).toBe(true);
    const codes = await engineSteps(gpt2Of(lm), true);
    const panels = await engineSteps(gpt2Of(lm), false);
    expect(codes.nf4).toBe(c48.nLayer);
    expect(same(codes.logits, panels.logits)).toBe(true);
    expect(codes.worst).toBeLessThan(1e-4);
    lm.dispose();
  });

  it('generate: the same tokens with codes and with fp32 panels (switching between calls); tfjs tensors flat', async () => {
    const lm = await nf4LM('gen', c64);
    const run = async (codes: boolean, seed: number): Promise<number[][]> => {
      await setDecodeRuntime({ nativeDecodeNf4Codes: codes });
      return (await lm.generate(prompts, { maxNewTokens: 10, temperature: 0.9, eosTokenId: [], seed })).completionIds;
    };
    expect(await lm.decodePath()).toMatch(/^generate: native/);
    const first = await run(true, 5);
    const tensors = tf.memory().numTensors;
    expect(await run(false, 5)).toEqual(first);
    expect(await run(true, 5)).toEqual(first);
    expect(await run(true, 6)).not.toEqual(first);
    expect(tf.memory().numTensors).toBe(tensors);
    lm.dispose();
  });
});
