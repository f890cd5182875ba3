/**
 * int8 row-wise absmax quantization against the numpy reference (half-to-even rounding, zero rows),
 * and the packed int8 Conv1D on the wasm backend (bit-exact dequantization).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/runtime/runtime.js';
import { QuantizationError } from '../src/adapters/errors.js';
import { dequantizeInt8, int8StorageBytes, quantizeInt8 } from '../src/quant/int8.js';
import { createQuantizedConv1D } from '../src/quant/quantized-conv1d.js';
import { f32, firstBitMismatch, i8, readFixture, transposeHost } from './adapter-helpers.js';

interface Int8Case {
  name: string;
  shape: [number, number];
  weight: string;
  codes: string;
  rowAbsmax: string;
  dequantized: string;
}

const fixture = readFixture<{ int8: Int8Case[] }>('adapter-quant.json');

// initBackend turns on @grpojs/accel's native dequantization when it is built (GRPOJS_ACCEL=0: the tfjs decode).
beforeAll(async () => {
  await initBackend('wasm');
});

describe('quantizeInt8 vs the numpy reference', () => {
  for (const c of fixture.int8) {
    it(`${c.name}: codes, row absmax and dequantized values match exactly`, () => {
      const q = quantizeInt8(f32(c.weight), c.shape);
      expect(Array.from(q.codes)).toEqual(Array.from(i8(c.codes)));
      expect(firstBitMismatch(q.rowAbsmax, f32(c.rowAbsmax))).toBe(-1);
      expect(firstBitMismatch(dequantizeInt8(q), f32(c.dequantized))).toBe(-1);
      expect(int8StorageBytes(q)).toBe(c.shape[0] * c.shape[1] + 4 * c.shape[0]);
    });
  }

  it('rounds half to even and leaves zero rows at zero', () => {
    const c = fixture.int8.find((x) => x.name === 'ties_7x45')!;
    const q = quantizeInt8(f32(c.weight), c.shape);
    const row4 = Array.from(q.codes.slice(4 * 45, 4 * 45 + 6));
    expect(row4).toEqual([127, 2, -4, 0, 0, 2]);
    expect(Array.from(q.codes.slice(2 * 45, 3 * 45)).every((v) => v === 0)).toBe(true);
  });

  it('rejects a shape that does not match the data', () => {
    expect(() => quantizeInt8(new Float32Array(10), [3, 4])).toThrow(QuantizationError);
    expect(() => quantizeInt8(new Float32Array(10), [3, 4])).toThrow(/shape \[3, 4\].*length 10/);
  });
});

describe('createQuantizedConv1D (int8) on the wasm backend', () => {
  for (const c of fixture.int8) {
    it(`${c.name}: backend dequantization equals the reference bit for bit`, () => {
      const [out, inn] = c.shape;
      const layer = createQuantizedConv1D(
        { shape: [inn, out], data: transposeHost(f32(c.weight), out, inn) },
        { shape: [out], data: new Float32Array(out) },
        'int8',
      );
      const w = layer.readWeight();
      expect(firstBitMismatch(w.dataSync() as Float32Array, transposeHost(f32(c.dequantized), out, inn))).toBe(-1);
      // codes packed 4 per int32 word, one float32 absmax per row, 1/127, bias.
      expect(layer.weightBytes()).toBe(4 * (Math.ceil((out * inn) / 4) + out + 1 + out));
      w.dispose();
      layer.dispose();
    });
  }
});
