// The native decode engine against a plain float64 JS GPT-2 step (embedding, LayerNorm, the
// projections, masked attention over a preloaded KV cache, activation, LM head) on small random
// shapes: B = 1, B > 8 (two row blocks), sizes that are not multiples of the 8-column panels, each
// activation, tied and untied heads; plus bit-equality across thread counts, argument errors and
// the batched sampler (its equality with sampleToken is tested in @grpojs/model).
import { describe, expect, it } from 'vitest';

import { createDecodeEngine, type DecodeActivation, type DecodeEngine, DECODE_PROJECTIONS } from '../src/index.js';
import { addonBuilt, relError, rng, skipNote } from './helpers.js';

interface Shape {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  nInner: number;
  vocabSize: number;
  nPositions: number;
  activation: DecodeActivation;
  tiedHead: boolean;
}

interface Weights {
  ln: { g: Float32Array; b: Float32Array }[]; // 2·nLayer + 1
  lin: { w: Float32Array; b: Float32Array; in: number; out: number }[][]; // [layer][projection]
  wpe: Float32Array;
  wte: Float32Array;
  head: Float32Array; // = wte when tied
  scales: number[];
}

function randomWeights(s: Shape, seed: number): Weights {
  const next = rng(seed);
  const rand = (n: number, scale: number, center = 0): Float32Array => Float32Array.from({ length: n }, () => center + (next() * 2 - 1) * scale);
  const C = s.nEmbd;
  const dims: [number, number][] = [[C, 3 * C], [C, C], [C, s.nInner], [s.nInner, C]];
  const wte = rand(s.vocabSize * C, 0.5);
  return {
    ln: Array.from({ length: 2 * s.nLayer + 1 }, () => ({ g: rand(C, 0.3, 1), b: rand(C, 0.2) })),
    lin: Array.from({ length: s.nLayer }, () => dims.map(([i, o]) => ({ w: rand(i * o, 1 / Math.sqrt(i)), b: rand(o, 0.1), in: i, out: o }))),
    wpe: rand(s.nPositions * C, 0.3),
    wte,
    head: s.tiedHead ? wte : rand(s.vocabSize * C, 0.5),
    scales: Array.from({ length: s.nLayer }, (_, l) => 1 / Math.sqrt(C / s.nHead) / (l + 1)),
  };
}

function makeEngine(s: Shape, w: Weights, threads: number, portable = false): DecodeEngine {
  const load = createDecodeEngine({ ...s, eps: 1e-5, attnScales: w.scales, threads, portable });
  if (load.engine === null) throw new Error(load.reason);
  const e = load.engine;
  w.ln.forEach((ln, i) => e.setLayerNorm({ index: i, gamma: ln.g, beta: ln.b }));
  w.lin.forEach((layer, l) => layer.forEach((p, k) => e.setLinear({ layer: l, projection: DECODE_PROJECTIONS[k], weight: p.w, bias: p.b })));
  e.setPositionEmbedding({ weight: w.wpe });
  e.setTokenEmbedding({ weight: w.wte });
  if (!s.tiedHead) e.setHead({ weight: w.head });
  return e;
}

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), enough for a 1e-4 comparison. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return Math.sign(x) * y;
}

function act(v: number, a: DecodeActivation): number {
  if (a === 'relu') return Math.max(v, 0);
  if (a === 'gelu') return 0.5 * v * (1 + erf(v / Math.SQRT2));
  return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
}

function layerNorm(x: number[], ln: { g: Float32Array; b: Float32Array }): number[] {
  const mean = x.reduce((p, v) => p + v, 0) / x.length;
  const variance = x.reduce((p, v) => p + (v - mean) ** 2, 0) / x.length;
  return x.map((v, c) => ((v - mean) / Math.sqrt(variance + 1e-5)) * ln.g[c] + ln.b[c]);
}

function linear(x: number[], p: { w: Float32Array; b: Float32Array; in: number; out: number }): number[] {
  const y = Array.from(p.b, Number);
  for (let k = 0; k < p.in; k++) for (let o = 0; o < p.out; o++) y[o] += x[k] * p.w[k * p.out + o];
  return y;
}

/** Reference state: per layer and row, the k and v vectors [C] of every cached position. */
type Cache = { k: number[][]; v: number[][] }[][];

/** One float64 decode step; appends to `cache` and returns logits [B][V]. */
function referenceStep(s: Shape, w: Weights, cache: Cache, starts: number[], tokens: number[], positions: number[]): number[][] {
  const C = s.nEmbd;
  const D = C / s.nHead;
  return tokens.map((tok, b) => {
    let x = Array.from({ length: C }, (_, c) => w.wte[tok * C + c] + w.wpe[positions[b] * C + c]);
    for (let l = 0; l < s.nLayer; l++) {
      const [attn, proj, fc, mproj] = w.lin[l];
      const qkv = linear(layerNorm(x, w.ln[2 * l]), attn);
      const kv = cache[l][b];
      kv.k.push(qkv.slice(C, 2 * C));
      kv.v.push(qkv.slice(2 * C));
      const y = new Array<number>(C).fill(0);
      for (let h = 0; h < s.nHead; h++) {
        const scores: number[] = [];
        for (let j = starts[b]; j < kv.k.length; j++) {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += qkv[h * D + d] * kv.k[j][h * D + d];
          scores.push(dot * w.scales[l]);
        }
        const max = Math.max(...scores);
        const e = scores.map((v) => Math.exp(v - max));
        const sum = e.reduce((p, v) => p + v, 0);
        e.forEach((p, i) => {
          for (let d = 0; d < D; d++) y[h * D + d] += (p / sum) * kv.v[starts[b] + i][h * D + d];
        });
      }
      x = linear(y, proj).map((v, c) => v + x[c]);
      const f = linear(layerNorm(x, w.ln[2 * l + 1]), fc).map((v) => act(v, s.activation));
      x = linear(f, mproj).map((v, c) => v + x[c]);
    }
    const h = layerNorm(x, w.ln[2 * s.nLayer]);
    return Array.from({ length: s.vocabSize }, (_, v) => h.reduce((p, hc, c) => p + hc * w.head[v * C + c], 0));
  });
}

/**
 * Preloads `prefill` random cached positions (with each row's left padding) into the engine and
 * the reference, then runs `steps` decode steps and returns the largest relative logit error and
 * the engine's logits of every step.
 */
function runCase(s: Shape, B: number, threads: number, seed: number, steps = 4, portable = false): { err: number; logits: Float32Array[] } {
  const w = randomWeights(s, seed);
  const next = rng(seed + 1);
  const C = s.nEmbd;
  const D = C / s.nHead;
  const prefill = 5;
  const srcCap = prefill + 3; // the KVCache's buffers are larger than what was written
  const starts = Array.from({ length: B }, (_, b) => b % prefill);
  const engine = makeEngine(s, w, threads, portable);
  if (portable) expect(engine.info().simd).toBe('portable');
  engine.reset({ batch: B, capacity: prefill + steps });
  const cache: Cache = Array.from({ length: s.nLayer }, () => Array.from({ length: B }, () => ({ k: [], v: [] })));
  for (let l = 0; l < s.nLayer; l++) {
    const keys = new Float32Array(B * s.nHead * srcCap * D);
    const values = new Float32Array(keys.length);
    for (let i = 0; i < keys.length; i++) [keys[i], values[i]] = [next() * 2 - 1, next() * 2 - 1];
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < prefill; j++) {
        const at = (h: number): number => ((b * s.nHead + h) * srcCap + j) * D;
        cache[l][b].k.push(Array.from({ length: C }, (_, c) => keys[at(Math.floor(c / D)) + (c % D)]));
        cache[l][b].v.push(Array.from({ length: C }, (_, c) => values[at(Math.floor(c / D)) + (c % D)]));
      }
    }
    engine.loadCache({ layer: l, keys, values, srcCapacity: srcCap, length: prefill, starts: Int32Array.from(starts) });
  }
  let err = 0;
  const all: Float32Array[] = [];
  for (let t = 0; t < steps; t++) {
    const tokens = Array.from({ length: B }, () => Math.floor(next() * s.vocabSize));
    const positions = starts.map((st) => prefill + t - st);
    const logits = new Float32Array(B * s.vocabSize);
    engine.step({ tokens: Int32Array.from(tokens), positions: Int32Array.from(positions), logits });
    const want = referenceStep(s, w, cache, starts, tokens, positions).flat();
    err = Math.max(err, relError(logits, want));
    all.push(logits);
  }
  expect(engine.info().length).toBe(prefill + steps);
  engine.dispose();
  return { err, logits: all };
}

const odd: Shape = { nLayer: 2, nHead: 3, nEmbd: 12, nInner: 20, vocabSize: 37, nPositions: 30, activation: 'gelu_new', tiedHead: true };

describe.skipIf(!addonBuilt)(`DecodeEngine vs a float64 reference${skipNote}`, () => {
  it.each([
    ['B=1, gelu_new, tied', { ...odd }, 1],
    ['B=3, relu, untied', { ...odd, activation: 'relu', tiedHead: false } as Shape, 3],
    ['B=11 (two row blocks), gelu, tied', { ...odd, activation: 'gelu' } as Shape, 11],
    ['B=9, wider (C=64, 4 heads, inner 200, vocab 301), untied', { ...odd, nEmbd: 64, nHead: 4, nInner: 200, vocabSize: 301, tiedHead: false }, 9],
  ])('%s: logits within 1e-4 of the reference over 4 steps', (_name, shape, B) => {
    expect(runCase(shape, B, 2, 7).err).toBeLessThan(1e-4);
  });

  it('the portable (non-AVX2) loops: B=6 and B=9, within 1e-4 too', () => {
    expect(runCase({ ...odd, tiedHead: false }, 6, 2, 9, 4, true).err).toBeLessThan(1e-4);
    expect(runCase({ ...odd, nEmbd: 64, nHead: 4, nInner: 200, vocabSize: 301 }, 9, 2, 10, 4, true).err).toBeLessThan(1e-4);
  });

  it('1, 2 and 3 threads give bit-identical logits (partitions are by whole panels and (row, head) pairs)', () => {
    const shape = { ...odd, nEmbd: 48, nHead: 4, nInner: 100, vocabSize: 203 };
    const [one, two, three] = [1, 2, 3].map((threads) => runCase(shape, 10, threads, 3).logits);
    for (let t = 0; t < one.length; t++) {
      expect(Buffer.from(two[t].buffer).equals(Buffer.from(one[t].buffer))).toBe(true);
      expect(Buffer.from(three[t].buffer).equals(Buffer.from(one[t].buffer))).toBe(true);
    }
  });

  it('names the method and argument on bad input, and refuses to step with a weight unset', () => {
    const w = randomWeights(odd, 1);
    const load = createDecodeEngine({ ...odd, eps: 1e-5, attnScales: w.scales, threads: 1 });
    const e = load.engine!;
    expect(() => e.setLayerNorm({ index: 0, gamma: new Float32Array(5), beta: w.ln[0].b })).toThrow(/DecodeEngine\.setLayerNorm: options\.gamma has 5 values; expected 12/);
    expect(() => e.setLinear({ layer: 0, projection: 'attn.c_attn', weight: w.lin[0][1].w, bias: w.lin[0][0].b })).toThrow(/DecodeEngine\.setLinear: options\.weight has 144 values; expected 432/);
    e.reset({ batch: 1, capacity: 4 });
    expect(() => e.step({ tokens: Int32Array.of(1), positions: Int32Array.of(0), logits: new Float32Array(37) })).toThrow(/was never set/);
    e.dispose();
    const filled = makeEngine(odd, w, 1);
    filled.reset({ batch: 2, capacity: 1 });
    const logits = new Float32Array(2 * 37);
    expect(() => filled.step({ tokens: Int32Array.of(1, 37), positions: Int32Array.of(0, 0), logits })).toThrow(/DecodeEngine\.step: options\.tokens\[1\] = 37 is outside the vocabulary/);
    expect(() => filled.step({ tokens: Int32Array.of(1, 2), positions: Int32Array.of(0, -1), logits })).toThrow(/DecodeEngine\.step: options\.positions\[1\] = -1 is outside/);
    expect(() => filled.reset({ batch: -1, capacity: 1 })).toThrow(/DecodeEngine\.reset: options\.batch must be ≥ 0/);
    expect(() => filled.loadCache({ layer: 9, keys: new Float32Array(0), values: new Float32Array(0), srcCapacity: 0, length: 0, starts: new Int32Array(2) })).toThrow(/DecodeEngine\.loadCache: options\.layer is outside \[0, nLayer\)/);
    filled.reset({ batch: 2, capacity: 1 });
    filled.step({ tokens: Int32Array.of(1, 2), positions: Int32Array.of(0, 0), logits });
    expect(() => filled.step({ tokens: Int32Array.of(1, 2), positions: Int32Array.of(1, 1), logits })).toThrow(/KV cache is full/);
    filled.dispose();
  });

  it('sampleRows: a dominant logit wins, thresholds drop tokens, negative draws skip rows, u near 1 takes the last kept token', () => {
    const e = makeEngine(odd, randomWeights(odd, 2), 2);
    const V = odd.vocabSize;
    const logits = new Float32Array(4 * V);
    logits[0 * V + 5] = 100;
    logits[1 * V + 9] = 100;
    logits[1 * V + 20] = 99.5;
    logits.fill(1, 3 * V, 4 * V);
    const tokens = new Int32Array(4);
    const thresholds = Float32Array.of(-Infinity, 99.9, -Infinity, 0.5);
    e.sampleRows({ logits, temperature: 1, thresholds, us: Float64Array.of(0.5, 0.999, -1, 1 - 2 ** -32), tokens });
    expect(Array.from(tokens)).toEqual([5, 9, -1, V - 1]); // row 1: 20 is below the threshold
    expect(() => e.sampleRows({ logits, temperature: 0, thresholds, us: Float64Array.of(0, 0, 0, 0), tokens })).toThrow(/DecodeEngine\.sampleRows: options\.temperature must be finite and > 0/);
    expect(() => e.sampleRows({ logits, temperature: 1, thresholds, us: Float64Array.of(0, 0, 1, 0), tokens })).toThrow(/every value of options\.us must be < 1/);
    e.dispose();
  });

  it('returns no engine (with the reason) for an activation it does not implement', () => {
    const load = createDecodeEngine({ ...odd, activation: 'silu' as DecodeActivation, eps: 1e-5, attnScales: [1, 1] });
    expect(load.engine).toBeNull();
    expect(load.reason).toMatch(/activation 'silu' is not implemented/);
  });
});
