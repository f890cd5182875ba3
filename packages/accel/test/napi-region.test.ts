// The addon's shared argument checks (native/napi/napi-options.h, native/napi/napi-region.h): every kernel
// takes one named options object, reads and writes only inside the ArrayBuffer each region names,
// and a bad region or a missing field is refused with an error naming the function and the field
// before any memory is touched.
import { describe, expect, it } from 'vitest';

import { loadAddon } from '../src/native.js';
import { addonBuilt, skipNote } from './helpers.js';

describe.skipIf(!addonBuilt)(`native argument regions${skipNote}`, () => {
  const load = loadAddon();
  const addon = load.ok ? load.addon : null;
  const at = (buffer: ArrayBuffer, byteOffset: number) => ({ buffer, byteOffset });

  it('accepts a region that ends exactly at the buffer end and computes into it', () => {
    const buf = new ArrayBuffer(64);
    const x = new Float32Array(buf, 32, 8).fill(1);
    addon!.geluNew({ x: at(buf, 32), out: at(buf, 0), size: 8 });
    expect(Array.from(new Float32Array(buf, 0, 8)).every((v) => Math.abs(v - 0.8411920) < 1e-5)).toBe(true);
    expect(Array.from(x)).toEqual(new Array(8).fill(1));
  });

  it('takes a typed array as a region (its buffer and byteOffset)', () => {
    const x = new Float32Array(16).fill(1).subarray(8);
    const out = new Float32Array(8);
    addon!.geluNew({ x, out, size: 8 });
    expect(Array.from(out).every((v) => Math.abs(v - 0.8411920) < 1e-5)).toBe(true);
  });

  it('refuses regions past the end, misaligned or negative offsets, and non-buffers, naming the function and field', () => {
    const buf = new ArrayBuffer(64);
    const out = at(new ArrayBuffer(64), 0);
    expect(() => addon!.geluNew({ x: at(buf, 36), out, size: 8 })).toThrow(RangeError);
    expect(() => addon!.geluNew({ x: at(buf, 36), out, size: 8 })).toThrow(
      /^geluNew: options\.x: region of 8 4-byte values at byte 36 does not fit in a buffer of 64 bytes/,
    );
    expect(() => addon!.geluNew({ x: at(buf, 2), out, size: 4 })).toThrow(/options\.x: .* \(or is misaligned\)/);
    expect(() => addon!.geluNew({ x: at(buf, -4), out, size: 4 })).toThrow(/options\.x: region of 4 4-byte values at byte -4/);
    expect(() => addon!.geluNew({ x: at(buf, 0), out: at(new ArrayBuffer(64), 8), size: 16 })).toThrow(/^geluNew: options\.out: region of 16/);
    expect(() => addon!.geluNew({ x: { buffer: new Float32Array(4) as unknown as ArrayBuffer, byteOffset: 0 }, out, size: 4 })).toThrow(
      /options\.x: expected an ArrayBuffer/,
    );
    const logits = at(new ArrayBuffer(4 * 10), 0);
    const targets = at(new ArrayBuffer(4 * 2), 0);
    const logp = at(new ArrayBuffer(4 * 2), 0);
    expect(() => addon!.logSoftmaxGather({ logits, targets, rows: 2, vocab: 6, invT: 1, logp, entropy: null, grad: null })).toThrow(
      /^logSoftmaxGather: options\.logits: region of 12/,
    );
  });

  it('refuses a missing or ill-typed field and positional arguments, naming the field', () => {
    const r = at(new ArrayBuffer(64), 0);
    type Loose = (options: unknown) => void;
    const gelu = addon!.geluNew as unknown as Loose;
    expect(() => gelu({ x: r, out: r })).toThrow(/^geluNew: options\.size must be a number/);
    expect(() => gelu({ x: r, out: r, size: 1.5 })).toThrow(/^geluNew: options\.size must be an integer >= 0/);
    expect(() => gelu({ x: 3, out: r, size: 1 })).toThrow(/^geluNew: options\.x must be a \{ buffer, byteOffset \} region/);
    expect(() => (addon!.geluNew as unknown as (...a: unknown[]) => void)(r.buffer, 0, r.buffer, 0, 4)).toThrow(/^geluNew: expected one options object/);
  });
});
