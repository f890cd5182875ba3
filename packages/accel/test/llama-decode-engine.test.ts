// The Llama decode engine's kernels (native/kernels/*.h through llamaKernels) against float64 JS
// references written from transformers' Llama modeling code: rotary inverse frequencies
// (plain and Llama 3 scaling, every wavelength band hit), rotate-half rotary, SwiGLU, GQA / MQA
// attention over a cache with left padding. Then one whole engine step (GQA, qkv biases, Qwen3 q/k
// norm with headDim ≠ hidden / heads, tied and untied heads) against a float64 JS Llama step, and
// bit-equality across thread counts and the portable loops. Tolerances are relative to the
// reference's scale (helpers.relError): 1e-6 for elementwise kernels, 1e-5 for sums, 1e-4 for a step.
// The kernels are forward-only (decode), so there are no gradients to check by finite differences.
import { describe, expect, it } from 'vitest';

import { createLlamaDecodeEngine, type LlamaDecodeEngine, LLAMA_DECODE_MODULES, type LlamaDecodeRopeScaling, llamaKernels } from '../src/index.js';
import { addonBuilt, relError, rng, skipNote } from './helpers.js';

const kernels = llamaKernels();
const LLAMA3: LlamaDecodeRopeScaling = { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 };

function randoms(next: () => number, n: number, scale = 1, center = 0): Float32Array {
  return Float32Array.from({ length: n }, () => center + (next() * 2 - 1) * scale);
}

/** transformers' LlamaRMSNorm in float64. */
function rmsNormRef(x: ArrayLike<number>, w: ArrayLike<number>, eps: number): number[] {
  const n = w.length;
  const out: number[] = [];
  for (let r = 0; r < x.length / n; r++) {
    let sq = 0;
    for (let i = 0; i < n; i++) sq += x[r * n + i] ** 2;
    const inv = 1 / Math.sqrt(sq / n + eps);
    for (let i = 0; i < n; i++) out.push(x[r * n + i] * inv * w[i]);
  }
  return out;
}

/** _compute_llama3_parameters / default rope in float64. */
function invFreqRef(D: number, theta: number, s: LlamaDecodeRopeScaling | null): number[] {
  const inv = Array.from({ length: D / 2 }, (_, i) => 1 / theta ** ((2 * i) / D));
  if (s === null) return inv;
  const low = s.originalMaxPositionEmbeddings / s.lowFreqFactor;
  const high = s.originalMaxPositionEmbeddings / s.highFreqFactor;
  return inv.map((f) => {
    const wl = (2 * Math.PI) / f;
    if (wl < high) return f;
    if (wl > low) return f / s.factor;
    const smooth = (s.originalMaxPositionEmbeddings / wl - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

/** apply_rotary_pos_emb on one head vector: x·cos + rotate_half(x)·sin. */
function rotaryRef(x: ArrayLike<number>, pos: number, inv: number[]): number[] {
  const half = inv.length;
  const out = new Array<number>(2 * half);
  for (let i = 0; i < half; i++) {
    const c = Math.cos(pos * inv[i]);
    const s = Math.sin(pos * inv[i]);
    out[i] = x[i] * c - x[half + i] * s;
    out[half + i] = x[half + i] * c + x[i] * s;
  }
  return out;
}

/** softmax(q·kᵀ·scale)·v over positions [start, len) for one head. */
function attendRef(q: ArrayLike<number>, keys: ArrayLike<number>, values: ArrayLike<number>, base: number, start: number, len: number, D: number, scale: number): number[] {
  const s: number[] = [];
  for (let j = start; j < len; j++) {
    let dot = 0;
    for (let d = 0; d < D; d++) dot += q[d] * keys[base + j * D + d];
    s.push(dot * scale);
  }
  const mx = Math.max(...s);
  const e = s.map((v) => Math.exp(v - mx));
  const sum = e.reduce((a, b) => a + b, 0);
  const y = new Array<number>(D).fill(0);
  for (let j = start; j < len; j++) for (let d = 0; d < D; d++) y[d] += (e[j - start] / sum) * values[base + j * D + d];
  return y;
}

describe.skipIf(!addonBuilt || kernels === null)(`llama kernels vs float64 references${skipNote}`, () => {
  const k = kernels!;

  it('rope inverse frequencies: plain and llama3 (kept, divided and interpolated bands) within 1e-12', () => {
    for (const [D, theta, scaling] of [[64, 10000, null], [64, 500000, LLAMA3], [16, 10000, LLAMA3]] as const) {
      const got = k.ropeInverseFrequencies({ headDim: D, theta, ropeScaling: scaling });
      const want = invFreqRef(D, theta, scaling);
      expect(relError(got, want)).toBeLessThan(1e-12);
      if (scaling !== null && D === 64) {
        // every band present: some kept (high freq), some divided by factor, some interpolated
        const plain = invFreqRef(D, theta, null);
        const kept = want.filter((f, i) => f === plain[i]).length;
        const divided = want.filter((f, i) => Math.abs(f - plain[i] / 8) < 1e-15 * plain[i]).length;
        expect(kept).toBeGreaterThan(0);
        expect(divided).toBeGreaterThan(0);
        expect(kept + divided).toBeLessThan(D / 2);
      }
    }
  });

  it('rotary (rotate-half) at positions up to 4000, plain and llama3, within 1e-6', () => {
    const next = rng(2);
    const rows = 4, heads = 3, D = 64;
    const positions = Int32Array.from([0, 5, 63, 4000]);
    for (const scaling of [null, LLAMA3]) {
      const x = randoms(next, rows * heads * D);
      const got = x.slice();
      k.rotary({ x: got, rows, heads, headDim: D, positions, theta: 500000, ropeScaling: scaling });
      const inv = invFreqRef(D, 500000, scaling);
      const want: number[] = [];
      for (let r = 0; r < rows; r++) for (let h = 0; h < heads; h++) want.push(...rotaryRef(x.subarray((r * heads + h) * D, (r * heads + h + 1) * D), positions[r], inv));
      expect(relError(got, want)).toBeLessThan(1e-6);
    }
  });

  it('swiglu = silu(gate)·up within 1e-6, including |gate| up to 100', () => {
    const next = rng(3);
    const gate = randoms(next, 1000, 8);
    gate[0] = 100;
    gate[1] = -100;
    const up = randoms(next, 1000, 2);
    const out = new Float32Array(1000);
    k.swiglu({ gate, up, out });
    const want = Array.from(gate, (g, i) => (g / (1 + Math.exp(-g))) * up[i]);
    expect(relError(out, want)).toBeLessThan(1e-6);
  });

  it('GQA (4 heads / 2 KV heads) and MQA (3 / 1) attention over a left-padded cache within 1e-5', () => {
    const next = rng(4);
    for (const [H, KV] of [[4, 2], [3, 1], [2, 2]]) {
      const B = 3, D = 16, cap = 12, len = 9;
      const starts = Int32Array.from([0, 4, 8]);
      const q = randoms(next, B * H * D, 1);
      const keys = randoms(next, B * KV * cap * D, 1);
      const values = randoms(next, B * KV * cap * D, 1);
      const out = new Float32Array(B * H * D);
      const scale = 1 / Math.sqrt(D);
      k.gqaAttention({ q, keys, values, batch: B, heads: H, kvHeads: KV, headDim: D, capacity: cap, length: len, starts, scale, out });
      const want: number[] = [];
      for (let b = 0; b < B; b++) {
        for (let h = 0; h < H; h++) {
          const base = (b * KV + Math.floor(h / (H / KV))) * cap * D;
          want.push(...attendRef(q.subarray((b * H + h) * D), keys, values, base, starts[b], len, D, scale));
        }
      }
      expect(relError(out, want)).toBeLessThan(1e-5);
    }
  });

  it('names the field in its errors', () => {
    expect(() => k.swiglu({ gate: new Float32Array(3), up: new Float32Array(2), out: new Float32Array(3) })).toThrow(/llamaKernels\.swiglu: options\.up has 2 values; expected 3/);
    expect(() => k.swiglu({ gate: new Float32Array(3), up: new Float32Array(3) } as never)).toThrow(/llamaKernels\.swiglu: options\.out must be a Float32Array/);
  });
});

interface Shape {
  L: number;
  C: number;
  H: number;
  KV: number;
  D: number;
  I: number;
  V: number;
  qkNorm: boolean;
  bias: boolean;
  tied: boolean;
  scaling: LlamaDecodeRopeScaling | null;
}

interface LayerW {
  inNorm: Float32Array;
  postNorm: Float32Array;
  qNorm: Float32Array;
  kNorm: Float32Array;
  lin: { w: Float32Array; b: Float32Array | null; in: number; out: number }[]; // Conv1D [in, out]
}

function randomModel(s: Shape, seed: number) {
  const next = rng(seed);
  const dims: [number, number][] = [[s.C, s.H * s.D], [s.C, s.KV * s.D], [s.C, s.KV * s.D], [s.H * s.D, s.C], [s.C, s.I], [s.C, s.I], [s.I, s.C]];
  const layers: LayerW[] = Array.from({ length: s.L }, () => ({
    inNorm: randoms(next, s.C, 0.3, 1),
    postNorm: randoms(next, s.C, 0.3, 1),
    qNorm: randoms(next, s.D, 0.3, 1),
    kNorm: randoms(next, s.D, 0.3, 1),
    lin: dims.map(([i, o], m) => ({ w: randoms(next, i * o, 1 / Math.sqrt(i)), b: s.bias && m < 3 ? randoms(next, o, 0.2) : null, in: i, out: o })),
  }));
  return { layers, embed: randoms(next, s.V * s.C, 1), head: randoms(next, s.V * s.C, 0.5), norm: randoms(next, s.C, 0.3, 1) };
}

type Model = ReturnType<typeof randomModel>;

/** x [in] · W (Conv1D [in, out]) + b in float64. */
function linRef(x: number[], l: { w: Float32Array; b: Float32Array | null; in: number; out: number }): number[] {
  const y = Array.from({ length: l.out }, (_, o) => l.b?.[o] ?? 0);
  for (let i = 0; i < l.in; i++) for (let o = 0; o < l.out; o++) y[o] += x[i] * l.w[i * l.out + o];
  return y;
}

/**
 * A float64 Llama decode over `tokens` [B][T] (row b's real tokens start at starts[b]; positions
 * count real tokens), returning the logits of the last position per row.
 */
function llamaRef(s: Shape, m: Model, tokens: number[][], starts: number[]): number[][] {
  const inv = invFreqRef(s.D, 10000, s.scaling);
  return tokens.map((row, b) => {
    const ks: number[][][] = m.layers.map(() => []); // [layer][pos][KV·D]
    const vs: number[][][] = m.layers.map(() => []);
    let last: number[] = [];
    for (let t = starts[b]; t < row.length; t++) {
      const pos = t - starts[b];
      let x = Array.from(m.embed.subarray(row[t] * s.C, (row[t] + 1) * s.C));
      m.layers.forEach((w, l) => {
        const a = rmsNormRef(x, w.inNorm, 1e-6);
        const q = linRef(a, w.lin[0]);
        const kk = linRef(a, w.lin[1]);
        const v = linRef(a, w.lin[2]);
        const head = (vec: number[], n: number, norm: Float32Array) =>
          Array.from({ length: n }, (_, h) => {
            let hv = vec.slice(h * s.D, (h + 1) * s.D);
            if (s.qkNorm) hv = rmsNormRef(hv, norm, 1e-6);
            return rotaryRef(hv, pos, inv);
          });
        const qh = head(q, s.H, w.qNorm);
        ks[l].push(head(kk, s.KV, w.kNorm).flat());
        vs[l].push(v);
        const y: number[] = [];
        for (let h = 0; h < s.H; h++) {
          const g = Math.floor(h / (s.H / s.KV));
          const keys = ks[l].flatMap((kp) => kp.slice(g * s.D, (g + 1) * s.D));
          const values = vs[l].flatMap((vp) => vp.slice(g * s.D, (g + 1) * s.D));
          y.push(...attendRef(qh[h], keys, values, 0, 0, ks[l].length, s.D, 1 / Math.sqrt(s.D)));
        }
        x = linRef(y, w.lin[3]).map((o, i) => o + x[i]);
        const h2 = rmsNormRef(x, w.postNorm, 1e-6);
        const gate = linRef(h2, w.lin[4]);
        const up = linRef(h2, w.lin[5]);
        const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
        x = linRef(act, w.lin[6]).map((o, i) => o + x[i]);
      });
      const f = rmsNormRef(x, m.norm, 1e-6);
      const head = s.tied ? m.embed : m.head;
      last = Array.from({ length: s.V }, (_, v) => f.reduce((acc, fi, c) => acc + fi * head[v * s.C + c], 0));
    }
    return last;
  });
}

function makeEngine(s: Shape, m: Model, threads: number, portable = false): LlamaDecodeEngine {
  const load = createLlamaDecodeEngine({
    numLayers: s.L, hiddenSize: s.C, numHeads: s.H, numKvHeads: s.KV, headDim: s.D, intermediateSize: s.I, vocabSize: s.V,
    maxPositions: 64, rmsNormEps: 1e-6, ropeTheta: 10000, ropeScaling: s.scaling, qkNorm: s.qkNorm, tiedHead: s.tied, threads, portable,
  });
  if (load.engine === null) throw new Error(load.reason);
  const e = load.engine;
  e.setEmbedding({ weight: m.embed });
  if (!s.tied) e.setHead({ weight: m.head });
  e.setNorm({ which: 'final', weight: m.norm });
  m.layers.forEach((w, layer) => {
    e.setNorm({ layer, which: 'input', weight: w.inNorm });
    e.setNorm({ layer, which: 'post', weight: w.postNorm });
    if (s.qkNorm) {
      e.setNorm({ layer, which: 'q', weight: w.qNorm });
      e.setNorm({ layer, which: 'k', weight: w.kNorm });
    }
    LLAMA_DECODE_MODULES.forEach((module, i) => e.setLinear({ layer, module, weight: w.lin[i].w, bias: w.lin[i].b }));
  });
  return e;
}

/** Runs every position of `tokens` (rows unpadded: starts all 0) through engine steps from an empty cache. */
function runEngine(e: LlamaDecodeEngine, s: Shape, tokens: number[][], starts: number[]): Float32Array {
  const B = tokens.length;
  const T = tokens[0].length;
  e.reset({ batch: B, capacity: T });
  const logits = new Float32Array(B * s.V);
  for (let t = 0; t < T; t++) e.step({ tokens: Int32Array.from(tokens, (r) => r[t]), positions: Int32Array.from(starts, (st) => t - st), logits });
  return logits;
}

const SHAPES: Record<string, Shape> = {
  'GQA, untied, plain rope': { L: 2, C: 24, H: 4, KV: 2, D: 6, I: 40, V: 37, qkNorm: false, bias: false, tied: false, scaling: null },
  'MQA, tied, llama3 rope, qkv bias': { L: 2, C: 16, H: 4, KV: 1, D: 4, I: 24, V: 29, qkNorm: false, bias: true, tied: true, scaling: LLAMA3 },
  'Qwen3 q/k norm, headDim ≠ hidden / heads': { L: 2, C: 20, H: 4, KV: 2, D: 8, I: 36, V: 33, qkNorm: true, bias: false, tied: false, scaling: null },
};

describe.skipIf(!addonBuilt)(`LlamaDecodeEngine steps vs a float64 Llama${skipNote}`, () => {
  for (const [name, s] of Object.entries(SHAPES)) {
    it(`${name}: logits within 1e-4, same bits for 1 and 3 threads, portable loops within 1e-5`, () => {
      const m = randomModel(s, 7);
      const tokens = [[3, 9, 1, 4, 4, 8], [5, 2, 7, 0, 11, 6], [12, 1, 3, 2, 9, 10], [1, 2, 3, 4, 5, 6], [8, 8, 8, 8, 8, 8]];
      const starts = tokens.map(() => 0);
      const e1 = makeEngine(s, m, 1);
      const e3 = makeEngine(s, m, 3);
      const ep = makeEngine(s, m, 2, true);
      try {
        const got = runEngine(e1, s, tokens, starts);
        const want = llamaRef(s, m, tokens, starts).flat();
        expect(relError(got, want)).toBeLessThan(1e-4);
        expect(runEngine(e3, s, tokens, starts)).toEqual(got);
        expect(relError(runEngine(ep, s, tokens, starts), got)).toBeLessThan(1e-5);
        expect(e1.info()).toMatchObject({ threads: 1, batch: 5, length: 6, capacity: 6, nf4Projections: 0 });
      } finally {
        for (const e of [e1, e3, ep]) e.dispose();
      }
    });
  }

  it('NF4 projections kept as codes give the same bits as their dequantized fp32 weights (AVX2 and portable)', () => {
    const s = SHAPES['Qwen3 q/k norm, headDim ≠ hidden / heads'];
    const m = randomModel(s, 11);
    const next = rng(12);
    const table = Float32Array.from([-1, -0.696, -0.525, -0.395, -0.284, -0.185, -0.091, 0, 0.08, 0.161, 0.246, 0.338, 0.441, 0.563, 0.723, 1]);
    const bs = 4;
    // per projection: random codes in [in, out] order packed as packHalves words (field f: low half
    // of word f / 4 when f < 4m, else the high half of word (f − 4m) / 4), random block scales, and
    // the dequantized weight w[k·out + o] = table[code] · absmax[o][k / bs] (one float32 multiply)
    const quant = m.layers.map((w) =>
      w.lin.map((l) => {
        const n = l.in * l.out;
        const words = new Int32Array(Math.ceil(n / 8));
        const absmax = randoms(next, (l.out * l.in) / bs, 0.2, 0.5);
        const deq = new Float32Array(n);
        for (let f = 0; f < n; f++) {
          const code = Math.floor(next() * 16);
          const half = 4 * words.length;
          if (f < half) words[f >> 2] |= code << (4 * (f % 4));
          else words[(f - half) >> 2] |= code << (16 + 4 * (f % 4));
          const k = Math.floor(f / l.out), o = f % l.out;
          deq[f] = Math.fround(table[code] * absmax[o * (l.in / bs) + Math.floor(k / bs)]);
        }
        return { words, absmax, deq };
      }),
    );
    const tokens = [[3, 9, 1, 4], [5, 2, 7, 0], [12, 1, 3, 2], [1, 2, 3, 4], [8, 8, 8, 8]];
    const starts = tokens.map(() => 0);
    for (const portable of [false, true]) {
      const fp32 = makeEngine(s, m, 1, portable);
      const codes = makeEngine(s, m, 2, portable);
      try {
        quant.forEach((q, layer) =>
          LLAMA_DECODE_MODULES.forEach((module, i) => {
            fp32.setLinear({ layer, module, weight: q[i].deq, bias: m.layers[layer].lin[i].b });
            codes.setLinearNf4({ layer, module, codeWords: q[i].words, absmax: q[i].absmax, blockSize: bs, table, bias: m.layers[layer].lin[i].b });
          }),
        );
        expect(codes.info().nf4Projections).toBe(7 * s.L);
        expect(runEngine(codes, s, tokens, starts)).toEqual(runEngine(fp32, s, tokens, starts));
      } finally {
        fp32.dispose();
        codes.dispose();
      }
    }
  });

  it('a left-padded row attends from its start only (cache loaded with starts)', () => {
    const s = SHAPES['GQA, untied, plain rope'];
    const m = randomModel(s, 8);
    const e = makeEngine(s, m, 2);
    try {
      // a cache of P = 3 padded positions holding large garbage, every row starting after it: the
      // logits must equal those of the unpadded rows
      const B = 2, T = 6, P = 3;
      const tokens = [[0, 0, 0, 11, 6, 2], [0, 0, 0, 4, 4, 8]];
      e.reset({ batch: B, capacity: T });
      const garbage = randoms(rng(9), B * s.KV * T * s.D, 50);
      for (let layer = 0; layer < s.L; layer++) e.loadCache({ layer, keys: garbage, values: garbage, srcCapacity: T, length: P, starts: Int32Array.from([P, P]) });
      const logits = new Float32Array(B * s.V);
      for (let t = P; t < T; t++) e.step({ tokens: Int32Array.from(tokens, (r) => r[t]), positions: Int32Array.from([t - P, t - P]), logits });
      const want = llamaRef(s, m, tokens.map((r) => r.slice(P)), [0, 0]).flat();
      expect(relError(logits, want)).toBeLessThan(1e-4);
    } finally {
      e.dispose();
    }
  });

  it('errors name the method and field', () => {
    const s = SHAPES['GQA, untied, plain rope'];
    const e = makeEngine(s, randomModel(s, 1), 1);
    try {
      expect(() => e.step({ tokens: new Int32Array(1), positions: new Int32Array(1), logits: new Float32Array(s.V) })).toThrow(/call reset/);
      e.reset({ batch: 1, capacity: 4 });
      expect(() => e.step({ tokens: Int32Array.from([99]), positions: new Int32Array(1), logits: new Float32Array(s.V) })).toThrow(/tokens\[0\] = 99 is outside the vocabulary/);
      expect(() => e.setLinear({ layer: 0, module: 'mlp.fc' as never, weight: new Float32Array(1) })).toThrow(/options\.module 'mlp\.fc'/);
      expect(() => e.setLinear({ layer: 0, module: 'mlp.up_proj', weight: new Float32Array(3) })).toThrow(/options\.weight has 3 values; expected 960/);
    } finally {
      e.dispose();
    }
    expect(() => createLlamaDecodeEngine({ numLayers: 1, hiddenSize: 8, numHeads: 3, numKvHeads: 2, headDim: 4, intermediateSize: 8, vocabSize: 8, maxPositions: 8, rmsNormEps: 1e-6, ropeTheta: 1e4, ropeScaling: null, qkNorm: false, tiedHead: true })).toThrow(/numHeads 3 is not a multiple of spec\.numKvHeads 2/);
  });
});
