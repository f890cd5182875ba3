// The lifecycle both decode engines share (native/kernels/decode-engine-base.h behind
// native/napi/decode-engine-binding.h): reset reusing a larger cache, the row sampler, info's
// counters and dispose, and the Llama engine's lifecycle error texts, on both engines alike. The step math of each engine
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

/** A 2-layer GPT-2 engine (4 heads of 4) with random weights. */
function gpt2(threads: number): Engine {
  const nInner = 24;
  const load = createDecodeEngine({ nLayer: 2, nHead: 4, nEmbd: C, nInner, vocabSize: V, nPositions: 32, activation: 'gelu_new', tiedHead: true, eps: 1e-5, attnScales: [0.5, 0.5], threads });
  if (load.engine === null) throw new Error(load.reason);
  const e = load.engine;
  for (let i = 0; i <= 4; i++) e.setLayerNorm({ index: i, gamma: randoms(i + 1, C, 0.2, 1), beta: randoms(i + 11, C, 0.1) });
  const dims: [number, number][] = [[C, 3 * C], [C, C], [C, nInner], [nInner, C]];
  for (let layer = 0; layer < 2; layer++) {
    dims.forEach(([i, o], k) => e.setLinear({ layer, projection: DECODE_PROJECTIONS[k], weight: randoms(100 + 10 * layer + k, i * o, 0.3), bias: randoms(200 + k, o, 0.1) }));
  }
  e.setPositionEmbedding({ weight: randoms(300, 32 * C, 0.3) });
  e.setTokenEmbedding({ weight: randoms(301, V * C, 0.5) });
  return e;
}

/** A 2-layer Llama engine (4 query / 2 KV heads of 4) with random weights. */
function llama(threads: number): Engine {
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
    LLAMA_DECODE_MODULES.forEach((module, k) => e.setLinear({ layer, module, weight: randoms(100 + 10 * layer + k, dims[k][0] * dims[k][1], 0.3) }));
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

const ENGINES: [string, (threads: number) => Engine][] = [['DecodeEngine (GPT-2)', gpt2], ['LlamaDecodeEngine', llama]];

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
