// The NF4 and int8 dequantization kernels (native/napi/nf4.cc) on wasm and cpu against a plain-JS
// decode with the same float32 operations (Math.fround after each), bit for bit, on shapes whose
// sizes are not multiples of the block (or word) size; and their input checks.
import { afterAll, describe, expect, it } from 'vitest';

import { disableBlasMatMul, enableBlasMatMul, INT8_DEQUANTIZE, NF4_DEQUANTIZE } from '../src/index.js';
import { addonBuilt, randInt, rng, skipNote, tf } from './helpers.js';

const f = Math.fround;

/** @grpojs/model's packHalves layout: low halves hold fields [0, m·F), high halves [m·F, 2m·F). */
function packHalves(fields: ArrayLike<number>, bits: 4 | 8, pad: number): Int32Array {
  const perHalf = 16 / bits;
  const m = Math.ceil(fields.length / (2 * perHalf));
  const words = new Int32Array(m);
  for (let j = 0; j < 2 * perHalf * m; j++) {
    const high = j >= m * perHalf ? 1 : 0;
    const local = j - high * m * perHalf;
    words[Math.floor(local / perHalf)] |= (j < fields.length ? fields[j] : pad) << (16 * high + bits * (local % perHalf));
  }
  return words;
}

const randomFloats = (next: () => number, n: number, scale: number): Float32Array =>
  Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);

/** Bits of a float32 array, so −0 ≠ +0 counts. */
const bits = (a: ArrayLike<number>): number[] => Array.from(new Uint32Array(Float32Array.from(a).buffer));

function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>): number {
  const [g, w] = [bits(got), bits(want)];
  if (g.length !== w.length) return Math.min(g.length, w.length);
  return g.findIndex((v, i) => v !== w[i]);
}

interface Nf4Case {
  inF: number;
  outF: number;
  blockSize: number;
  inOutOrder: boolean;
  doubleQuant: boolean;
}

/** Runs NF4_DEQUANTIZE on random codes/scales and returns [got, expected]. */
function nf4Case(c: Nf4Case, seed: number): [Float32Array, Float32Array] {
  const next = rng(seed);
  const n = c.inF * c.outF;
  const nBlocks = Math.ceil(n / c.blockSize);
  const codeTable = Array.from(randomFloats(next, 16, 1));
  const codes = Uint8Array.from({ length: n }, () => randInt(next, 0, 15)); // in the kernel's order
  const map = Array.from(randomFloats(next, 256, 1));
  const q8 = Uint8Array.from({ length: nBlocks }, () => randInt(next, 0, 255));
  const nBlocks2 = Math.ceil(nBlocks / 256);
  const absmax2 = randomFloats(next, nBlocks2, 0.5);
  const offset = f(0.3 + next());
  const plainAbsmax = randomFloats(next, nBlocks, 2);
  const blockAbsmax = c.doubleQuant ? Float32Array.from(q8, (q, b) => f(f(map[q] * absmax2[Math.floor(b / 256)]) + offset)) : plainAbsmax;
  const expected = new Float32Array(n); // [in, out]
  for (let i = 0; i < c.inF; i++) {
    for (let o = 0; o < c.outF; o++) {
      const flat = o * c.inF + i; // bitsandbytes' [out, in] index: its block is flat / blockSize
      const k = c.inOutOrder ? i * c.outF + o : flat;
      expected[i * c.outF + o] = f(codeTable[codes[k]] * blockAbsmax[Math.floor(flat / c.blockSize)]);
    }
  }
  const inputs: Record<string, tf.Tensor> = { codes: tf.tensor1d(packHalves(codes, 4, 7), 'int32') };
  if (c.doubleQuant) {
    inputs.absmaxCodes = tf.tensor1d(packHalves(q8, 8, 0), 'int32');
    inputs.absmax2 = tf.tensor2d(absmax2, [nBlocks2, 1]);
    inputs.offset = tf.scalar(offset);
  } else {
    inputs.absmax = tf.tensor1d(plainAbsmax);
  }
  const attrs = { inFeatures: c.inF, outFeatures: c.outF, blockSize: c.blockSize, inOutOrder: c.inOutOrder, code: codeTable, map, blockSize2: 256 };
  const w = tf.engine().runKernel(NF4_DEQUANTIZE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  expect(w.shape).toEqual([c.inF, c.outF]);
  const got = w.dataSync() as Float32Array;
  tf.dispose([w, ...Object.values(inputs)]);
  return [got, expected];
}

describe.skipIf(!addonBuilt)(`${NF4_DEQUANTIZE} and ${INT8_DEQUANTIZE}${skipNote}`, () => {
  afterAll(() => {
    disableBlasMatMul();
  });

  for (const backend of ['wasm', 'cpu'] as const) {
    it(`on ${backend}: NF4 with and without double quant, both code orders, equals the float32 JS decode bit for bit`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      enableBlasMatMul({ backends: [backend] });
      const cases: Nf4Case[] = [
        { inF: 192, outF: 101, blockSize: 64, inOutOrder: true, doubleQuant: true }, // 303 blocks: 2 absmax2 blocks, odd out
        { inF: 128, outF: 37, blockSize: 128, inOutOrder: true, doubleQuant: false },
        { inF: 70, outF: 33, blockSize: 64, inOutOrder: false, doubleQuant: true }, // 2310 weights: a partial last block
        { inF: 45, outF: 7, blockSize: 64, inOutOrder: false, doubleQuant: false }, // 315 weights: odd word padding
      ];
      cases.forEach((c, i) => {
        const [got, expected] = nf4Case(c, 11 + i);
        expect(firstMismatch(got, expected), JSON.stringify(c)).toBe(-1);
      });
      disableBlasMatMul();
      expect(tf.getKernel(NF4_DEQUANTIZE, backend)).toBeUndefined();
    });

    it(`on ${backend}: int8 equals (value · rowAbsmax) · scale in float32 bit for bit`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      enableBlasMatMul({ backends: [backend] });
      const next = rng(5);
      const [inF, outF] = [13, 7]; // 91 bytes: a partial last word
      const bytes = Uint8Array.from({ length: inF * outF }, () => randInt(next, 0, 255));
      const values = Array.from({ length: 256 }, (_, v) => (v < 128 ? v : v - 256));
      const rowAbsmax = randomFloats(next, outF, 3);
      const scale = f(1 / 127);
      const codes = tf.tensor1d(packHalves(bytes, 8, 0), 'int32');
      const absmax = tf.tensor2d(rowAbsmax, [1, outF]);
      const w = tf.engine().runKernel(INT8_DEQUANTIZE, { codes, rowAbsmax: absmax }, { inFeatures: inF, outFeatures: outF, values, scale } as unknown as tf.NamedAttrMap) as tf.Tensor;
      const expected = Float32Array.from(bytes, (b, k) => f(f(values[b] * rowAbsmax[k % outF]) * scale));
      expect(firstMismatch(w.dataSync(), expected)).toBe(-1);
      tf.dispose([w, codes, absmax]);
      disableBlasMatMul();
    });
  }

  it('on wasm: an output bigger than the heap (the heap grows inside the kernel) still reads the right inputs', async () => {
    await tf.setBackend('wasm');
    enableBlasMatMul({ backends: ['wasm'] });
    const heap = (): Uint8Array => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;
    const inF = 64;
    const outF = Math.ceil(heap().length / (4 * inF)) + 64;
    const next = rng(9);
    const codes = Uint8Array.from({ length: inF * outF }, () => randInt(next, 0, 15));
    const codeTable = Array.from(randomFloats(next, 16, 1));
    const absmax = randomFloats(next, outF, 2); // one 64-block per output column
    const [c, a] = [tf.tensor1d(packHalves(codes, 4, 7), 'int32'), tf.tensor1d(absmax)];
    const heapBefore = heap().buffer;
    const attrs = { inFeatures: inF, outFeatures: outF, blockSize: 64, inOutOrder: true, code: codeTable };
    const w = tf.engine().runKernel(NF4_DEQUANTIZE, { codes: c, absmax: a }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(heap().buffer).not.toBe(heapBefore);
    const got = w.dataSync();
    for (const [i, o] of [[0, 0], [inF - 1, outF - 1], [17, 5], [40, outF - 3]]) {
      expect(got[i * outF + o]).toBe(f(codeTable[codes[i * outF + o]] * absmax[o]));
    }
    tf.dispose([w, c, a]);
    disableBlasMatMul();
  });

  it('rejects inputs that do not match the attrs, naming the input', async () => {
    await tf.setBackend('wasm');
    enableBlasMatMul({ backends: ['wasm'] });
    const code = Array.from({ length: 16 }, (_, i) => i);
    const attrs = { inFeatures: 64, outFeatures: 4, blockSize: 64, inOutOrder: true, code } as unknown as tf.NamedAttrMap;
    const codes = tf.zeros([32], 'int32');
    expect(() => tf.engine().runKernel(NF4_DEQUANTIZE, { codes, absmax: tf.zeros([3]) }, attrs)).toThrow(/input absmax must be float32 of 4 elements/);
    expect(() => tf.engine().runKernel(NF4_DEQUANTIZE, { codes: tf.zeros([31], 'int32'), absmax: tf.zeros([4]) }, attrs)).toThrow(/codes \[31\]/);
    expect(() => tf.engine().runKernel(NF4_DEQUANTIZE, { codes, absmax: tf.zeros([4]) }, { ...attrs, code: [1, 2] })).toThrow(/attr code must be an array of 16/);
    expect(() => tf.engine().runKernel(NF4_DEQUANTIZE, { codes, absmax: tf.zeros([4]) }, { ...attrs, inFeatures: 65, outFeatures: 3 })).toThrow(
      /inOutOrder needs inFeatures \(65\) % blockSize \(64\) = 0/,
    );
    disableBlasMatMul();
  });
});
