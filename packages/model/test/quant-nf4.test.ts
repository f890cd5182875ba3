/**
 * NF4 + double quant against the independent numpy/torch reference
 * (fixtures/make_adapter_fixtures.py): codes, packed bytes, 8-bit absmax, absmax2, offset and
 * dequantized values must match bit for bit, on the host and after backend dequantization.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { QuantizationError } from '../src/adapters/errors.js';
import { signedDynamicMap } from '../src/quant/dynamic-map.js';
import { NF4_CODE, dequantizeNF4, nf4CodeAt, nf4StorageBytes, quantizeNF4 } from '../src/quant/nf4.js';
import { LoraConv1D } from '../src/adapters/lora.js';
import { QuantCacheScope, quantizedLayers } from '../src/quant/quant-cache.js';
import { createQuantizedConv1D, quantizedConv1DBytes } from '../src/quant/quantized-conv1d.js';
import { bits, f32, firstBitMismatch, readFixture, transposeHost, u8, useWasm } from './adapter-helpers.js';

interface NF4Case {
  name: string;
  shape: [number, number];
  doubleQuant: boolean;
  blockSize: number;
  weight: string;
  codes: string;
  packed: string;
  dequantized: string;
  absmax?: string;
  absmaxCodes?: string;
  absmax2?: string;
  offset?: string;
}
interface QuantFixture {
  dynamicMap: string;
  torchDynamicMap: string;
  nf4Thresholds: string;
  nf4: NF4Case[];
}

const fixture = readFixture<QuantFixture>('adapter-quant.json');

// initBackend turns on @grpojs/accel's native dequantization when it is built (GRPOJS_ACCEL=0: the tfjs decode).
beforeAll(async () => {
  await initBackend('wasm');
});

describe('signed dynamic map (double quant)', () => {
  it('equals the exactly rounded reference map bit for bit', () => {
    const map = signedDynamicMap();
    expect(map.length).toBe(256);
    expect(firstBitMismatch(map, f32(fixture.dynamicMap))).toBe(-1);
    expect(map[0]).toBe(Math.fround(-0.99296875)); // no −1: the map holds 127 negatives, 0, 127 positives and 1
    expect(map[255]).toBe(1);
    expect(map[127]).toBe(0);
  });

  it('is within 1 ulp of the map torch float32 ops build for bitsandbytes', () => {
    const map = bits(signedDynamicMap());
    const torchMap = bits(f32(fixture.torchDynamicMap));
    for (let i = 0; i < 256; i++) expect(Math.abs(map[i] - torchMap[i])).toBeLessThanOrEqual(1);
  });
});

describe('quantizeNF4 vs the numpy reference', () => {
  for (const c of fixture.nf4) {
    it(`${c.name}: codes, packing, absmax state and dequantized values match exactly`, () => {
      const w = f32(c.weight);
      const q = quantizeNF4(w, { blockSize: c.blockSize, doubleQuant: c.doubleQuant });
      const codes = u8(c.codes);
      const mine = Uint8Array.from({ length: q.length }, (_, i) => nf4CodeAt(q, i));
      expect(Buffer.from(mine).equals(Buffer.from(codes))).toBe(true);
      expect(Buffer.from(q.packed).equals(Buffer.from(u8(c.packed)))).toBe(true);
      if (c.doubleQuant) {
        expect(q.absmax).toBeNull();
        expect(Buffer.from(q.doubleQuant!.absmaxCodes).equals(Buffer.from(u8(c.absmaxCodes!)))).toBe(true);
        expect(firstBitMismatch(q.doubleQuant!.absmax2, f32(c.absmax2!))).toBe(-1);
        expect(Math.fround(q.doubleQuant!.offset)).toBe(f32(c.offset!)[0]);
      } else {
        expect(firstBitMismatch(q.absmax!, f32(c.absmax!))).toBe(-1);
      }
      expect(firstBitMismatch(dequantizeNF4(q), f32(c.dequantized))).toBe(-1);
    });
  }

  it('ties go to the lower code and a zero block dequantizes to exactly zero', () => {
    const c = fixture.nf4.find((x) => x.name === 'ties_and_zeros')!;
    const q = quantizeNF4(f32(c.weight));
    const thresholds = f32(fixture.nf4Thresholds);
    // Row layout from the fixture script: [1.0, 15 thresholds, ...]; block absmax is 1.0.
    for (let t = 0; t < 15; t++) expect(nf4CodeAt(q, 1 + t)).toBe(t);
    expect(Array.from(thresholds.slice(0, 1))).toEqual([Math.fround((NF4_CODE[0] + NF4_CODE[1]) / 2)]);
    const deq = dequantizeNF4(q);
    for (let i = 64; i < 128; i++) {
      expect(nf4CodeAt(q, i)).toBe(7);
      expect(deq[i] === 0).toBe(true); // ±0: code 0.0 times the double-quantized absmax
    }
  });

  it('packs two codes per byte with the even index in the high nibble', () => {
    const w = Float32Array.from([1, -1, 0, 0.5, -0.5]);
    const q = quantizeNF4(w, { doubleQuant: false });
    expect(Array.from(q.packed)).toEqual([(15 << 4) | 0, (7 << 4) | 12, 2 << 4]);
    expect(nf4StorageBytes(q)).toBe(3 + 4);
  });

  it('rejects bad input with errors naming the argument', () => {
    expect(() => quantizeNF4(new Float32Array(10), { blockSize: 32 })).toThrow(/options.blockSize/);
    expect(() => quantizeNF4(Float32Array.from([1, Number.NaN]))).toThrow(QuantizationError);
    expect(() => quantizeNF4(new Float32Array(0))).toThrow(/empty/);
  });
});

describe('createQuantizedConv1D (nf4) on the wasm backend', () => {
  for (const name of ['scaled_rows_33x520', 'normal_5x70', 'ties_no_double_quant']) {
    it(`${name}: backend dequantization equals the reference bit for bit`, () => {
      const c = fixture.nf4.find((x) => x.name === name)!;
      const [out, inn] = c.shape;
      // The fixture weight is [out, in]; a Conv1D holds [in, out].
      const weightInOut = { shape: [inn, out], data: transposeHost(f32(c.weight), out, inn) };
      const layer = createQuantizedConv1D(weightInOut, { shape: [out], data: new Float32Array(out) }, 'nf4', {
        doubleQuant: c.doubleQuant,
      });
      const w = layer.readWeight();
      const expected = transposeHost(f32(c.dequantized), out, inn);
      expect(firstBitMismatch(w.dataSync() as Float32Array, expected)).toBe(-1);
      w.dispose();
      layer.dispose();
    });
  }

  it('the [in, out]-order fast path (in % blockSize = 0) equals the host dequantization bit for bit', () => {
    for (const [inn, out, blockSize, doubleQuant] of [
      [448, 40, 64, true], // 280 blocks: two absmax2 blocks
      [64, 256, 64, true], // exactly 256 blocks: one full absmax2 block
      [256, 24, 128, true],
      [64, 30, 64, false],
    ] as const) {
      const data = Float32Array.from({ length: inn * out }, (_, i) => Math.sin(i * 0.91) * Math.exp((i % 7) - 3));
      const layer = createQuantizedConv1D({ shape: [inn, out], data }, { shape: [out], data: new Float32Array(out) }, 'nf4', { blockSize, doubleQuant });
      const expected = transposeHost(dequantizeNF4(quantizeNF4(transposeHost(data, inn, out), { blockSize, doubleQuant })), out, inn);
      const w = layer.readWeight();
      expect(firstBitMismatch(w.dataSync() as Float32Array, expected)).toBe(-1);
      w.dispose();
      layer.dispose();
    }
  });

  it('decodes bit-exactly on the cpu backend too', async () => {
    const c = fixture.nf4.find((x) => x.name === 'scaled_rows_33x520')!;
    const [out, inn] = c.shape;
    await tf.setBackend('cpu');
    try {
      const layer = createQuantizedConv1D({ shape: [inn, out], data: transposeHost(f32(c.weight), out, inn) }, { shape: [out], data: new Float32Array(out) }, 'nf4');
      const w = layer.readWeight();
      expect(firstBitMismatch(w.dataSync() as Float32Array, transposeHost(f32(c.dequantized), out, inn))).toBe(-1);
      w.dispose();
      layer.dispose();
    } finally {
      await useWasm();
    }
  });

  it('apply computes x·W′ + b with the dequantized weight and reports packed bytes', () => {
    const inn = 96;
    const out = 40;
    const data = Float32Array.from({ length: inn * out }, (_, i) => Math.sin(i * 0.7) * 0.1);
    const bias = Float32Array.from({ length: out }, (_, i) => i * 0.01);
    const layer = createQuantizedConv1D({ shape: [inn, out], data }, { shape: [out], data: bias }, 'nf4');
    const x = tf.randomNormal([3, inn], 0, 1, 'float32', 3) as tf.Tensor2D;
    const y = layer.apply(x, { training: false });
    const w = layer.readWeight();
    const ref = tf.add(tf.matMul(x, w), tf.tensor1d(bias));
    expect(y.shape).toEqual([3, out]);
    expect(tf.max(tf.abs(tf.sub(y, ref))).dataSync()[0]).toBeLessThan(1e-5);
    // 3840 weights: codes in 3840/8 words, 60 8-bit block scales in 15 words, absmax2, offset, bias.
    expect(layer.weightBytes()).toBe(4 * (480 + 15 + 1 + 1 + out));
    expect(layer.weightBytes()).toBeLessThan(inn * out * 4 * 0.25);
    tf.dispose([x, y, w, ref]);
    layer.dispose();
  });

  it('the input gradient through the quantized layer equals dy·W′ᵀ and leaks no tensors', () => {
    const [inn, out] = [128, 48];
    const data = Float32Array.from({ length: inn * out }, (_, i) => Math.cos(i * 0.3) * 0.2);
    const layer = createQuantizedConv1D({ shape: [inn, out], data }, { shape: [out], data: new Float32Array(out) }, 'nf4');
    const x = tf.randomNormal([5, inn], 0, 1, 'float32', 8) as tf.Tensor2D;
    const g = tf.randomNormal([5, out], 0, 1, 'float32', 9);
    const loss = (xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx as tf.Tensor2D, { training: true }), g));
    tf.dispose(tf.grad(loss)(x));
    const before = tf.memory().numTensors;
    const dx = tf.grad(loss)(x);
    const maxErr = tf.tidy(() => tf.max(tf.abs(tf.sub(dx, tf.matMul(g, layer.readWeight(), false, true)))).dataSync()[0]);
    expect(maxErr).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before + 1); // only dx
    tf.dispose([dx, x, g]);
    layer.dispose();
  });

  it('setDequantizedCache keeps one fp32 weight between calls and frees it when turned off', () => {
    const [inn, out] = [64, 32];
    const data = Float32Array.from({ length: inn * out }, (_, i) => Math.sin(i) * 0.1);
    const layer = createQuantizedConv1D({ shape: [inn, out], data }, { shape: [out], data: new Float32Array(out) }, 'nf4');
    const x = tf.randomNormal([2, inn], 0, 1, 'float32', 1) as tf.Tensor2D;
    const plain = layer.apply(x, { training: false });
    const packed = layer.weightBytes();
    const before = tf.memory().numTensors;
    layer.setDequantizedCache(true);
    const a = layer.apply(x, { training: false });
    const b = layer.apply(x, { training: false });
    expect(tf.memory().numTensors).toBe(before + 3); // a, b and the cached weight
    expect(layer.weightBytes()).toBe(packed + 4 * inn * out);
    expect(Array.from(a.dataSync())).toEqual(Array.from(plain.dataSync()));
    expect(Array.from(b.dataSync())).toEqual(Array.from(plain.dataSync()));
    layer.setDequantizedCache(false);
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(layer.weightBytes()).toBe(packed);
    tf.dispose([x, plain, a, b]);
    layer.dispose();
  });

  it('QuantCacheScope caches for overlapping runs, frees after the last, and leaves a cache the user turned on', async () => {
    const make = () =>
      createQuantizedConv1D({ shape: [64, 8], data: Float32Array.from({ length: 512 }, (_, i) => Math.cos(i)) }, { shape: [8], data: new Float32Array(8) }, 'nf4');
    const [a, b] = [make(), make()];
    const lora = new LoraConv1D(b, { r: 2, alpha: 4, dropout: 0, name: 'scope', seed: 1, adapterSwitch: { enabled: true } });
    const layers = quantizedLayers([a, lora]);
    expect(layers).toEqual([a, b]); // found through the LoRA wrapper
    a.setDequantizedCache(true);
    const scope = new QuantCacheScope(layers);
    let release!: () => void;
    const first = scope.run(() => new Promise<void>((r) => (release = r)));
    expect(b.dequantizedCacheEnabled).toBe(true);
    await scope.run(async () => expect(b.dequantizedCacheEnabled).toBe(true));
    expect(b.dequantizedCacheEnabled).toBe(true); // the first run is still going
    release();
    await first;
    expect(b.dequantizedCacheEnabled).toBe(false);
    expect(a.dequantizedCacheEnabled).toBe(true);
    await expect(scope.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(b.dequantizedCacheEnabled).toBe(false);
    a.dispose();
    lora.dispose();
  });

  it('quantizedConv1DBytes predicts weightBytes() from the shape', () => {
    for (const [inn, out, kind, doubleQuant] of [
      [70, 5, 'nf4', true],
      [96, 200, 'nf4', true],
      [33, 7, 'nf4', false],
      [33, 7, 'int8', true],
    ] as const) {
      const data = Float32Array.from({ length: inn * out }, (_, i) => Math.cos(i));
      const layer = createQuantizedConv1D({ shape: [inn, out], data }, { shape: [out], data: new Float32Array(out) }, kind, { doubleQuant });
      expect(layer.weightBytes()).toBe(quantizedConv1DBytes(inn, out, kind, { doubleQuant }));
      layer.dispose();
    }
  });

  it('distilgpt2 Conv1D memory: the numbers in docs/model.md, and bitsandbytes-equal storage at a real shape', () => {
    const shapes = [[768, 2304], [768, 768], [768, 3072], [3072, 768]] as const;
    const total = (f: (i: number, o: number) => number) => 6 * shapes.reduce((s, [i, o]) => s + f(i, o), 0);
    expect(total((i, o) => 4 * (i * o + o))).toBe(170_035_200);
    expect(total((i, o) => quantizedConv1DBytes(i, o, 'nf4'))).toBe(22_073_568);
    expect(total((i, o) => quantizedConv1DBytes(i, o, 'nf4', { doubleQuant: false }))).toBe(24_053_760);
    expect(total((i, o) => quantizedConv1DBytes(i, o, 'int8'))).toBe(42_799_200);
    const [inn, out] = shapes[0];
    const data = Float32Array.from({ length: inn * out }, (_, k) => Math.sin(k * 0.37) * 0.05);
    const layer = createQuantizedConv1D({ shape: [inn, out], data }, { shape: [out], data: new Float32Array(out) }, 'nf4');
    const bnb = nf4StorageBytes(quantizeNF4(transposeHost(data, inn, out)));
    expect(layer.weightBytes()).toBe(bnb + 4 * out);
    layer.dispose();
  });

  it('rejects a bias that does not match the weight', () => {
    expect(() =>
      createQuantizedConv1D({ shape: [4, 8], data: new Float32Array(32) }, { shape: [4], data: new Float32Array(4) }, 'nf4', {
        name: 'h.0.mlp.c_fc',
      }),
    ).toThrow(/h\.0\.mlp\.c_fc.*bias shape \[4\] must be \[8\]/);
  });
});
