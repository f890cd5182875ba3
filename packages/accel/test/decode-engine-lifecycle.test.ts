// The lifecycle both decode engines share (native/kernels/decode-engine-base.h behind
// native/napi/decode-engine-binding.h): reset reusing a larger cache, the row sampler, info's
// counters and dispose (with an NF4 projection and its decode scratch too), and the Llama engine's
// lifecycle error texts, on both engines alike. The step math of each engine
// is checked against float64 references in decode-engine.test.ts and llama-decode-engine.test.ts.
import { describe, expect, it } from 'vitest';

import { createDecodeEngine, createLlamaDecodeEngine, DECODE_PROJECTIONS, LLAMA_DECODE_MODULES } from '../src/index.js';
import { addonBuilt, rng, skipNote } from './helpers.js';

const V = 29;
const C = 16;

/** The methods the lifecycle tests drive, common to both engines. */
interface Engine {
  reset(o: { batch: number; capacity: number }): void;
  loadCache(o: { layer: number; keys: Float32Array; values: Float32Array; srcCapacity: number; length: number; starts: Int32Array }): void;
  step(o: { tokens: Int32Array; positions: Int32Array; logits: Float32Array }): void;
  sampleRows(o: { logits: Float32Array; temperature: number; thresholds: Float32Array; us: Float64Array; tokens: Int32Array }): void;
  info(): { threads: number; length: number; capacity: number; batch: number; bytes: number; nf4Projections: number };
  dispose(): void;
}

function randoms(seed: number, n: number, scale: number, center = 0): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n }, () => center + (next() * 2 - 1) * scale);
}

/** bitsandbytes' NF4 code values (as @grpojs/model's NF4_CODE). */
const NF4_CODE = Float32Array.from([
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]);

/** A random NF4 weight [inF, out] in setLinearNf4's layout (@grpojs/model's packHalves words) and its dequantized fp32 copy. */
function nf4Weight(seed: number, inF: number, out: number, blockSize: number) {
  const next = rng(seed);
  const codes = Uint8Array.from({ length: inF * out }, () => Math.floor(next() * 16)); // field k·out + o
  const perCol = inF / blockSize;
  const absmax = Float32Array.from({ length: out * perCol }, () => 0.2 + next() * 0.3); // [out, in / blockSize]
  const fp32 = new Float32Array(inF * out);
  for (let k = 0; k < inF; k++) {
    for (let o = 0; o < out; o++) fp32[k * out + o] = Math.fround(NF4_CODE[codes[k * out + o]] * absmax[o * perCol + Math.floor(k / blockSize)]);
  }
  const m = Math.ceil(codes.length / 8);
  const codeWords = new Int32Array(m);
  for (let j = 0; j < 8 * m; j++) {
    const high = j >= 4 * m ? 1 : 0;
    const local = j - high * 4 * m;
    codeWords[Math.floor(local / 4)] |= (j < codes.length ? codes[j] : 7) << (16 * high + 4 * (local % 4));
  }
  return { nf4: { codeWords, absmax, blockSize, table: NF4_CODE }, fp32 };
}

/**
 * How the engines' makers hold layer 1's MLP down projection [24 → C]: random fp32 weights, NF4 codes
 * (block size 8), or those codes' dequantized fp32 weights.
 */
type Down = 'fp32' | 'nf4' | 'dequantized';
const DOWN_IN = 24;
const DOWN_BLOCK = 8;
const down = nf4Weight(400, DOWN_IN, C, DOWN_BLOCK);

/** A 2-layer GPT-2 engine (4 heads of 4) with random weights. */
function gpt2(threads: number, held: Down = 'fp32'): Engine {
  const nInner = 24;
  const load = createDecodeEngine({ nLayer: 2, nHead: 4, nEmbd: C, nInner, vocabSize: V, nPositions: 32, activation: 'gelu_new', tiedHead: true, eps: 1e-5, attnScales: [0.5, 0.5], threads });
  if (load.engine === null) throw new Error(load.reason);
  const e = load.engine;
  for (let i = 0; i <= 4; i++) e.setLayerNorm({ index: i, gamma: randoms(i + 1, C, 0.2, 1), beta: randoms(i + 11, C, 0.1) });
  const dims: [number, number][] = [[C, 3 * C], [C, C], [C, nInner], [nInner, C]];
  for (let layer = 0; layer < 2; layer++) {
    dims.forEach(([i, o], k) => {
      const [projection, bias] = [DECODE_PROJECTIONS[k], randoms(200 + k, o, 0.1)];
      if (layer === 1 && k === 3 && held === 'nf4') e.setLinearNf4({ layer, projection, ...down.nf4, bias });
      else e.setLinear({ layer, projection, weight: layer === 1 && k === 3 && held === 'dequantized' ? down.fp32 : randoms(100 + 10 * layer + k, i * o, 0.3), bias });
    });
  }
  e.setPositionEmbedding({ weight: randoms(300, 32 * C, 0.3) });
  e.setTokenEmbedding({ weight: randoms(301, V * C, 0.5) });
  return e;
}

/** A 2-layer Llama engine (4 query / 2 KV heads of 4) with random weights. */
function llama(threads: number, held: Down = 'fp32'): Engine {
  const I = 24;
  const H = 4, KV = 2, D = 4;
  const load = createLlamaDecodeEngine({
    numLayers: 2, hiddenSize: C, numHeads: H, numKvHeads: KV, headDim: D, intermediateSize: I, vocabSize: V,
    maxPositions: 32, rmsNormEps: 1e-6, ropeTheta: 10000, ropeScaling: null, qkNorm: false, tiedHead: true, threads,
  });
  if (load.engine === null) throw new Error(load.reason);
  const e = load.engine;
  e.setEmbedding({ weight: randoms(301, V * C, 0.5) });
  e.setNorm({ which: 'final', weight: randoms(302, C, 0.2, 1) });
  const dims: [number, number][] = [[C, H * D], [C, KV * D], [C, KV * D], [H * D, C], [C, I], [C, I], [I, C]];
  for (let layer = 0; layer < 2; layer++) {
    e.setNorm({ layer, which: 'input', weight: randoms(310 + layer, C, 0.2, 1) });
    e.setNorm({ layer, which: 'post', weight: randoms(320 + layer, C, 0.2, 1) });
    LLAMA_DECODE_MODULES.forEach((module, k) => {
      if (layer === 1 && k === 6 && held === 'nf4') e.setLinearNf4({ layer, module, ...down.nf4 });
      else e.setLinear({ layer, module, weight: layer === 1 && k === 6 && held === 'dequantized' ? down.fp32 : randoms(100 + 10 * layer + k, dims[k][0] * dims[k][1], 0.3) });
    });
  }
  return e;
}

/** Logits [B·V] of every step of a rollout of `steps` tokens per row from an empty cache. */
function rollout(e: Engine, B: number, capacity: number, steps: number, seed: number): Float32Array[] {
  const next = rng(seed);
  e.reset({ batch: B, capacity });
  const out: Float32Array[] = [];
  for (let t = 0; t < steps; t++) {
    const logits = new Float32Array(B * V);
    e.step({ tokens: Int32Array.from({ length: B }, () => Math.floor(next() * V)), positions: new Int32Array(B).fill(t), logits });
    out.push(logits);
  }
  return out;
}

const ENGINES: [string, (threads: number, held?: Down) => Engine][] = [['DecodeEngine (GPT-2)', gpt2], ['LlamaDecodeEngine', llama]];

describe.skipIf(!addonBuilt)(`the decode engines' shared lifecycle${skipNote}`, () => {
  it.each(ENGINES)('%s: a reset that reuses a larger cache gives the bits of a fresh engine', (_name, make) => {
    const used = make(2);
    const fresh = make(2);
    try {
      // A longer, wider rollout first: its keys and values stay in the reused allocation.
      rollout(used, 3, 9, 7, 1);
      const again = rollout(used, 2, 5, 4, 2);
      const want = rollout(fresh, 2, 5, 4, 2);
      for (let t = 0; t < want.length; t++) expect(Buffer.from(again[t].buffer).equals(Buffer.from(want[t].buffer))).toBe(true);
      expect(used.info()).toMatchObject({ batch: 2, capacity: 5, length: 4 });
    } finally {
      used.dispose();
      fresh.dispose();
    }
  });

  it('sampleRows draws the same tokens in both engines (one sampler), skipping rows with a negative draw', () => {
    const [g, l] = [gpt2(2), llama(2)];
    try {
      const logits = randoms(9, 5 * V, 3);
      logits[2 * V + 11] = 50; // a dominant logit
      const thresholds = Float32Array.of(-Infinity, 0, -Infinity, -Infinity, 1);
      const us = Float64Array.of(0.1, 0.5, 0.9, -1, 0.999);
      const [a, b] = [new Int32Array(5), new Int32Array(5)];
      g.sampleRows({ logits, temperature: 0.7, thresholds, us, tokens: a });
      l.sampleRows({ logits, temperature: 0.7, thresholds, us, tokens: b });
      expect(Array.from(b)).toEqual(Array.from(a));
      expect(a[2]).toBe(11);
      expect(a[3]).toBe(-1);
      for (const r of [0, 1, 4]) expect(a[r]).toBeGreaterThanOrEqual(0);
      // A token below its row's threshold (on logit / temperature) is never drawn.
      expect(logits[1 * V + a[1]] / 0.7).toBeGreaterThanOrEqual(0);
      expect(logits[4 * V + a[4]] / 0.7).toBeGreaterThanOrEqual(1);
    } finally {
      g.dispose();
      l.dispose();
    }
  });

  it.each(ENGINES)('%s: dispose frees every byte and stops the threads; the engine then refuses to step', (_name, make) => {
    const e = make(3);
    rollout(e, 2, 4, 2, 3);
    const before = e.info();
    expect(before).toMatchObject({ threads: 3, batch: 2, capacity: 4, length: 2, nf4Projections: 0 });
    expect(before.bytes).toBeGreaterThan(4 * V * C);
    e.dispose();
    expect(e.info()).toEqual({ ...before, threads: 1, batch: 0, capacity: 0, length: 0, bytes: 0 });
    e.reset({ batch: 1, capacity: 2 });
    expect(() => e.step({ tokens: Int32Array.of(1), positions: Int32Array.of(0), logits: new Float32Array(V) })).toThrow(/was never set/);
  });

  it.each(ENGINES)('%s: an NF4 projection steps to the logits of its dequantized weights; info counts its codes and decode scratch, dispose frees them', (_name, make) => {
    const threads = 3;
    const [codes, dense] = [make(threads, 'nf4'), make(threads, 'dequantized')];
    try {
      const got = rollout(codes, 5, 6, 3, 4);
      const want = rollout(dense, 5, 6, 3, 4);
      for (let t = 0; t < want.length; t++) expect(Buffer.from(got[t].buffer).equals(Buffer.from(want[t].buffer))).toBe(true);
      expect(codes.info().nf4Projections).toBe(1);
      // Two panels of 8 columns over 24 rows: fp32 panels, or one code word per row and panel plus
      // the block scales; and each thread's scratch for a decoded group of 3 panels.
      const panels = C / 8;
      const fp32Bytes = 4 * panels * DOWN_IN * 8;
      const nf4Bytes = 4 * panels * DOWN_IN + 4 * panels * (DOWN_IN / DOWN_BLOCK) * 8;
      const scratchBytes = threads * 4 * 3 * DOWN_IN * 8;
      expect(codes.info().bytes - dense.info().bytes).toBe(nf4Bytes - fp32Bytes + scratchBytes);
      codes.dispose();
      expect(codes.info()).toMatchObject({ bytes: 0, nf4Projections: 0, threads: 1 });
    } finally {
      codes.dispose();
      dense.dispose();
    }
  });

  it('the Llama engine names the method in its lifecycle errors', () => {
    const e = llama(1);
    try {
      e.reset({ batch: 2, capacity: 3 });
      const empty = new Float32Array(0);
      expect(() => e.reset({ batch: 1, capacity: 33 })).toThrow(/LlamaDecodeEngine\.reset: batch must be ≥ 0 and capacity in \[0, maxPositions\]/);
      expect(() => e.loadCache({ layer: 2, keys: empty, values: empty, srcCapacity: 0, length: 0, starts: new Int32Array(2) })).toThrow(/LlamaDecodeEngine\.loadCache: options\.layer is outside \[0, numLayers\)/);
      expect(() => e.loadCache({ layer: 0, keys: empty, values: empty, srcCapacity: 4, length: 4, starts: new Int32Array(2) })).toThrow(/LlamaDecodeEngine\.loadCache: length must be ≤ srcCapacity and ≤ the reset capacity/);
      expect(() => e.loadCache({ layer: 0, keys: new Float32Array(2 * 2 * 4), values: new Float32Array(2 * 2 * 4), srcCapacity: 1, length: 1, starts: Int32Array.of(0, 2) })).toThrow(/LlamaDecodeEngine\.loadCache: every start must be in \[0, length\]/);
      const tokens = new Int32Array(1);
      expect(() => e.sampleRows({ logits: new Float32Array(V), temperature: Infinity, thresholds: new Float32Array(1), us: Float64Array.of(0), tokens })).toThrow(/LlamaDecodeEngine\.sampleRows: temperature must be finite and > 0/);
      expect(() => e.sampleRows({ logits: new Float32Array(V), temperature: 1, thresholds: new Float32Array(1), us: Float64Array.of(1), tokens })).toThrow(/LlamaDecodeEngine\.sampleRows: every us value must be < 1/);
    } finally {
      e.dispose();
    }
  });
});
