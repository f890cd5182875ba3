// The decode engine's NF4 projections (setLinearNf4: 4-bit codes + block scales decoded inside the
// product) against the same engine given the dequantized fp32 weight (setLinear): the logits must
// be bit-identical, since w = table[code] · absmax is the dequantization's own float32 multiply and
// the product then runs the same tiles. Random codes and scales; odd `in`, `out` a multiple of 8
// but not of the 24-column tiles, padded panels, B = 1, 3, 8, 11, 1 and 2 threads, AVX2 and the
// portable loops. Plus the argument checks and the memory the codes save.
import { describe, expect, it } from 'vitest';

import { createDecodeEngine, type DecodeEngine, type DecodeNf4Weight, DECODE_PROJECTIONS } from '../src/index.js';
import { addonBuilt, rng, skipNote } from './helpers.js';

/** bitsandbytes' NF4 code values (as @grpojs/model's NF4_CODE). */
const NF4_CODE = Float32Array.from([
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]);

/** A copy of @grpojs/model's packHalves for 4-bit fields (the layout setLinearNf4 reads). */
function packHalves4(fields: Uint8Array): Int32Array {
  const m = Math.ceil(fields.length / 8);
  const words = new Int32Array(m);
  for (let j = 0; j < 8 * m; j++) {
    const value = j < fields.length ? fields[j] : 7;
    const high = j >= 4 * m ? 1 : 0;
    const local = j - high * 4 * m;
    words[Math.floor(local / 4)] |= value << (16 * high + 4 * (local % 4));
  }
  return words;
}

// C = 45 (odd in), inner 88 (a multiple of 8, not of 24), vocab 37; c_attn out 135 pads a panel.
const shape = { nLayer: 2, nHead: 3, nEmbd: 45, nInner: 88, vocabSize: 37, nPositions: 30, activation: 'gelu_new' as const, tiedHead: true };
const C = shape.nEmbd;
const dims: [number, number][] = [[C, 3 * C], [C, C], [C, shape.nInner], [shape.nInner, C]];
/** Block sizes per projection (each divides its `in`); c_attn stays fp32 in both engines, as with LoRA. */
const blockSizes = [0, 9, 15, 11];

interface Projection {
  fp32: Float32Array; // dequantized [in, out]
  nf4: DecodeNf4Weight | null;
  bias: Float32Array;
}

function randomModel(seed: number): { ln: Float32Array[]; proj: Projection[][]; wpe: Float32Array; wte: Float32Array } {
  const next = rng(seed);
  const rand = (n: number, scale: number, center = 0): Float32Array => Float32Array.from({ length: n }, () => center + (next() * 2 - 1) * scale);
  const proj = Array.from({ length: shape.nLayer }, () =>
    dims.map(([inF, out], p): Projection => {
      const bias = rand(out, 0.1);
      if (blockSizes[p] === 0) return { fp32: rand(inF * out, 1 / Math.sqrt(inF)), nf4: null, bias };
      const bs = blockSizes[p];
      const perCol = inF / bs;
      const codes = Uint8Array.from({ length: inF * out }, () => Math.floor(next() * 16)); // field k·out + o
      const absmax = Float32Array.from({ length: out * perCol }, () => (0.2 + next()) / Math.sqrt(inF)); // [out, in / bs]
      const fp32 = new Float32Array(inF * out);
      for (let k = 0; k < inF; k++) {
        for (let o = 0; o < out; o++) fp32[k * out + o] = Math.fround(NF4_CODE[codes[k * out + o]] * absmax[o * perCol + Math.floor(k / bs)]);
      }
      return { fp32, nf4: { codeWords: packHalves4(codes), absmax, blockSize: bs, table: NF4_CODE }, bias };
    }),
  );
  return {
    ln: Array.from({ length: 2 * (2 * shape.nLayer + 1) }, (_, i) => rand(C, 0.3, i % 2 === 0 ? 1 : 0)),
    proj,
    wpe: rand(shape.nPositions * C, 0.3),
    wte: rand(shape.vocabSize * C, 0.5),
  };
}

function makeEngine(model: ReturnType<typeof randomModel>, codes: boolean, threads: number, portable: boolean): DecodeEngine {
  const D = C / shape.nHead;
  const load = createDecodeEngine({ ...shape, eps: 1e-5, attnScales: [1 / Math.sqrt(D), 1 / Math.sqrt(D)], threads, portable });
  if (load.engine === null) throw new Error(load.reason);
  const e = load.engine;
  for (let i = 0; i < 2 * shape.nLayer + 1; i++) e.setLayerNorm({ index: i, gamma: model.ln[2 * i], beta: model.ln[2 * i + 1] });
  model.proj.forEach((layer, l) =>
    layer.forEach((p, k) => {
      if (codes && p.nf4) e.setLinearNf4({ layer: l, projection: DECODE_PROJECTIONS[k], ...p.nf4, bias: p.bias });
      else e.setLinear({ layer: l, projection: DECODE_PROJECTIONS[k], weight: p.fp32, bias: p.bias });
    }),
  );
  e.setPositionEmbedding({ weight: model.wpe });
  e.setTokenEmbedding({ weight: model.wte });
  return e;
}

/** Logits of 4 steps after a random 3-position prefill for B rows. */
function run(e: DecodeEngine, B: number, seed: number): Float32Array[] {
  const next = rng(seed);
  const prefill = 3;
  const steps = 4;
  e.reset({ batch: B, capacity: prefill + steps });
  const kv = B * shape.nHead * prefill * (C / shape.nHead);
  for (let l = 0; l < shape.nLayer; l++) {
    const k = Float32Array.from({ length: kv }, () => next() - 0.5);
    const v = Float32Array.from({ length: kv }, () => next() - 0.5);
    e.loadCache({ layer: l, keys: k, values: v, srcCapacity: prefill, length: prefill, starts: Int32Array.from({ length: B }, (_, b) => b % prefill) });
  }
  const out: Float32Array[] = [];
  for (let s = 0; s < steps; s++) {
    const logits = new Float32Array(B * shape.vocabSize);
    const tokens = Int32Array.from({ length: B }, () => Math.floor(next() * shape.vocabSize));
    e.step({ tokens, positions: Int32Array.from({ length: B }, (_, b) => prefill + s - (b % prefill)), logits });
    out.push(logits);
  }
  return out;
}

const same = (a: Float32Array[], b: Float32Array[]): boolean => a.every((x, i) => Buffer.from(x.buffer).equals(Buffer.from(b[i].buffer)));

describe.skipIf(!addonBuilt)(`DecodeEngine NF4 projections${skipNote}`, () => {
  const model = addonBuilt ? randomModel(5) : null;

  it.each([
    [1, 1, false],
    [3, 2, false],
    [8, 2, false],
    [11, 1, false],
    [11, 2, false],
    [3, 1, true],
    [11, 2, true],
  ])('B=%i, %i thread(s), portable %s: logits bit-identical to the fp32 panels of the dequantized weights', (B, threads, portable) => {
    const fp32 = makeEngine(model!, false, threads, portable);
    const nf4 = makeEngine(model!, true, threads, portable);
    expect(nf4.info().nf4Projections).toBe(3 * shape.nLayer);
    expect(fp32.info().nf4Projections).toBe(0);
    const want = run(fp32, B, 11);
    const got = run(nf4, B, 11);
    expect(got[0].some((v) => v !== 0)).toBe(true);
    expect(same(got, want)).toBe(true);
    fp32.dispose();
    nf4.dispose();
  });

  it('1 and 2 threads agree bit for bit; the codes take ~1/7 of the fp32 panel bytes', () => {
    const one = makeEngine(model!, true, 1, false);
    const two = makeEngine(model!, true, 2, false);
    const fp32 = makeEngine(model!, false, 1, false);
    // weights as fp32 panels: 4 bytes per (padded) weight; as codes 0.5 + the scales, plus the
    // thread's scratch for one decoded group of 3 panels of the widest input (nInner)
    const quantWeights = shape.nLayer * (C * C + C * shape.nInner + shape.nInner * C);
    const scratch = 4 * 3 * shape.nInner * 8;
    expect(fp32.info().bytes - (one.info().bytes - scratch)).toBeGreaterThan(3 * quantWeights);
    expect(two.info().bytes - one.info().bytes).toBe(scratch);
    expect(same(run(one, 9, 3), run(two, 9, 3))).toBe(true);
    for (const e of [one, two, fp32]) e.dispose();
  });

  it('names the argument on bad input; setLinear replaces NF4 codes', () => {
    const e = makeEngine(model!, true, 1, false);
    const p = model!.proj[0][1];
    const nf4 = p.nf4!;
    expect(() => e.setLinearNf4({ layer: 0, projection: 'attn.c_proj', ...nf4, blockSize: 10, bias: p.bias })).toThrow(/blockSize 10 must be > 0 and divide in = 45; pass the dequantized weight to setLinear/);
    expect(() => e.setLinearNf4({ layer: 0, projection: 'attn.c_proj', ...nf4, blockSize: 0.5, bias: p.bias })).toThrow(/DecodeEngine\.setLinearNf4: options\.blockSize is 0\.5/);
    expect(() => e.setLinearNf4({ layer: 0, projection: 'attn.c_proj', ...nf4, codeWords: nf4.codeWords.subarray(1), bias: p.bias })).toThrow(/DecodeEngine\.setLinearNf4: options\.codeWords has 253 values; expected 254/);
    expect(() => e.setLinearNf4({ layer: 0, projection: 'attn.c_proj', ...nf4, absmax: nf4.absmax.subarray(1), bias: p.bias })).toThrow(/DecodeEngine\.setLinearNf4: options\.absmax has 224 values; expected 225/);
    expect(() => e.setLinearNf4({ layer: 0, projection: 'mlp.c_x' as 'mlp.c_fc', ...nf4, bias: p.bias })).toThrow(/options\.projection 'mlp\.c_x'/);
    e.setLinear({ layer: 0, projection: 'attn.c_proj', weight: p.fp32, bias: p.bias });
    expect(e.info().nf4Projections).toBe(3 * shape.nLayer - 1);
    e.dispose();
  });
});
