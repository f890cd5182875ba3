// The addon's shared argument check (native/napi-region.h): every kernel reads and writes only
// inside the ArrayBuffer it is given, and a bad (buffer, byteOffset) pair is refused with an error
// naming the argument before any memory is touched.
import { describe, expect, it } from 'vitest';

import { loadAddon } from '../src/native.js';
import { addonBuilt, skipNote } from './helpers.js';

describe.skipIf(!addonBuilt)(`native argument regions${skipNote}`, () => {
  const load = loadAddon();
  const addon = load.ok ? load.addon : null;

  it('accepts a region that ends exactly at the buffer end and computes into it', () => {
    const buf = new ArrayBuffer(64);
    const x = new Float32Array(buf, 32, 8).fill(1);
    addon!.geluNew(buf, 32, buf, 0, 8);
    expect(Array.from(new Float32Array(buf, 0, 8)).every((v) => Math.abs(v - 0.8411920) < 1e-5)).toBe(true);
    expect(Array.from(x)).toEqual(new Array(8).fill(1));
  });

  it('refuses regions past the end, misaligned or negative offsets, and non-buffers, naming the argument', () => {
    const buf = new ArrayBuffer(64);
    const out = new ArrayBuffer(64);
    expect(() => addon!.geluNew(buf, 36, out, 0, 8)).toThrow(RangeError);
    expect(() => addon!.geluNew(buf, 36, out, 0, 8)).toThrow(/^x: region of 8 4-byte values at byte 36 does not fit in a buffer of 64 bytes/);
    expect(() => addon!.geluNew(buf, 2, out, 0, 4)).toThrow(/x: .* \(or is misaligned\)/);
    expect(() => addon!.geluNew(buf, -4, out, 0, 4)).toThrow(/x: region of 4 4-byte values at byte -4/);
    expect(() => addon!.geluNew(buf, 0, out, 8, 16)).toThrow(/^out: region of 16/);
    expect(() => addon!.geluNew(new Float32Array(4) as unknown as ArrayBuffer, 0, out, 0, 4)).toThrow(/x: expected an ArrayBuffer/);
    const logits = new ArrayBuffer(4 * 10);
    const targets = new ArrayBuffer(4 * 2);
    const logp = new ArrayBuffer(4 * 2);
    expect(() => addon!.logSoftmaxGather(logits, 0, targets, 0, 2, 6, 1, logp, 0, null, 0, null, 0)).toThrow(/^logits: region of 12/);
  });
});
