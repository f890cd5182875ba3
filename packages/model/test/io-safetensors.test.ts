import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32, f32ToBF16, f32ToF16 } from '../src/io/half-float.js';
import { SafetensorsFormatError } from '../src/io/errors.js';
import { type HostTensor, readSafetensors, readSafetensorsMetadata, writeSafetensors } from '../src/io/safetensors.js';
import { FIXTURES, lcgTensor, tempDir } from './io-helpers.js';

interface HalfFixture {
  inputF32Bits: number[];
  f16Bits: number[];
  f16AsF32Bits: number[];
  bf16Bits: number[];
  bf16AsF32Bits: number[];
}

const fixture = JSON.parse(await readFile(join(FIXTURES, 'half-floats.json'), 'utf8')) as HalfFixture;
const fromBits = (bits: number[]) => new Float32Array(Uint32Array.from(bits).buffer);
const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
/** Same bits, or both NaN (the payload of a NaN is not part of the contract). */
function expectSameFloats(actual: Float32Array, expectedBits: number[]): void {
  const expected = fromBits(expectedBits);
  const actualBits = bitsOf(actual);
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) expect(Number.isNaN(actual[i]), `index ${i}`).toBe(true);
    else expect(actualBits[i], `index ${i} (${expected[i]})`).toBe(expectedBits[i]);
  }
}

describe('half-float conversions match torch (fixture from make_io_fixtures.py)', () => {
  const input = fromBits(fixture.inputF32Bits);

  it('f32 → f16 rounds like torch .to(float16), including overflow, subnormals and ties', () => {
    const out = Array.from(f32ToF16(input));
    const nan = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    out.forEach((h, i) => (nan(fixture.f16Bits[i]) ? expect(nan(h)).toBe(true) : expect(h, `index ${i}`).toBe(fixture.f16Bits[i])));
  });

  it('f32 → bf16 rounds to nearest even like torch .to(bfloat16)', () => {
    const out = Array.from(f32ToBF16(input));
    const nan = (h: number) => (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
    out.forEach((h, i) => (nan(fixture.bf16Bits[i]) ? expect(nan(h)).toBe(true) : expect(h, `index ${i}`).toBe(fixture.bf16Bits[i])));
  });

  it('f16 → f32 and bf16 → f32 give torch .float() bit for bit', () => {
    const f16 = new Float32Array(fixture.f16Bits.length);
    f16ToF32(Uint16Array.from(fixture.f16Bits), f16);
    expectSameFloats(f16, fixture.f16AsF32Bits);
    const bf16 = new Float32Array(fixture.bf16Bits.length);
    bf16ToF32(Uint16Array.from(fixture.bf16Bits), bf16);
    expectSameFloats(bf16, fixture.bf16AsF32Bits);
  });
});

describe('readSafetensors', () => {
  it('reads a file written by hand in Python with F32, F16 and BF16 tensors', async () => {
    const expected = JSON.parse(await readFile(join(FIXTURES, 'mixed-dtypes.expected.json'), 'utf8')) as Record<string, { shape: number[]; f32Bits: number[] }>;
    const tensors = await readSafetensors(join(FIXTURES, 'mixed-dtypes.safetensors'));
    expect([...tensors.keys()].sort()).toEqual(['a_f32', 'b_f16', 'c_bf16', 'd_f32']);
    for (const [name, { shape, f32Bits }] of Object.entries(expected)) {
      expect(tensors.get(name)!.shape).toEqual(shape);
      expect(bitsOf(tensors.get(name)!.data)).toEqual(f32Bits);
    }
    expect(await readSafetensorsMetadata(join(FIXTURES, 'mixed-dtypes.safetensors'))).toEqual({ format: 'pt', written_by: 'make_io_fixtures.py' });
  });
});

describe('writeSafetensors', () => {
  const tensors = new Map<string, HostTensor>([
    ['z.weight', lcgTensor([3, 5], 7)],
    ['a.bias', lcgTensor([5], 8)],
    ['scalar', { shape: [], data: new Float32Array([2.5]) }],
    ['empty', { shape: [0, 4], data: new Float32Array(0) }],
  ]);

  it('round-trips F32 exactly, with sorted names, an 8-byte aligned header and metadata', async () => {
    const file = join(await tempDir(), 'm.safetensors');
    await writeSafetensors(file, tensors, { metadata: { format: 'pt' } });
    const bytes = await readFile(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { data_offsets: number[] }>;
    expect(Object.keys(header)).toEqual(['__metadata__', 'a.bias', 'empty', 'scalar', 'z.weight']);
    expect(header.__metadata__).toEqual({ format: 'pt' });
    expect(header['a.bias'].data_offsets).toEqual([0, 20]);
    expect(bytes.length).toBe(8 + headerLength + (5 + 0 + 1 + 15) * 4);
    const back = await readSafetensors(file);
    for (const [name, t] of tensors) {
      expect(back.get(name)!.shape).toEqual(t.shape);
      expect(Array.from(back.get(name)!.data)).toEqual(Array.from(t.data));
    }
  });

  it.each(['F16', 'BF16'] as const)('round-trips %s: stored as torch would round, read back as f32', async (dtype) => {
    const file = join(await tempDir(), 'm.safetensors');
    const input = fromBits(fixture.inputF32Bits);
    await writeSafetensors(file, { x: { shape: [input.length], data: input } }, { dtype });
    const back = (await readSafetensors(file)).get('x')!;
    expectSameFloats(back.data, dtype === 'F16' ? fixture.f16AsF32Bits : fixture.bf16AsF32Bits);
    const header = (await readFile(file)).subarray(8, 200).toString('utf8');
    expect(header).toContain(`"dtype":"${dtype}"`);
  });

  it('writes atomically: no temp file remains, and a failed write leaves no file', async () => {
    const dir = await tempDir();
    await writeSafetensors(join(dir, 'ok.safetensors'), tensors);
    expect(await readdir(dir)).toEqual(['ok.safetensors']);
    const bad = { w: { shape: [2, 2], data: new Float32Array(3) } };
    await expect(writeSafetensors(join(dir, 'bad.safetensors'), bad)).rejects.toThrow(/tensor "w" has shape \[2,2\] \(4 values\) but its data holds 3 values/);
    expect(await readdir(dir)).toEqual(['ok.safetensors']);
  });
});

describe('readSafetensors errors name the byte offset or tensor', () => {
  async function fileWith(header: unknown, dataBytes: number, headerLength?: number): Promise<string> {
    const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(headerLength ?? json.length));
    const file = join(await tempDir(), 'bad.safetensors');
    await writeFile(file, Buffer.concat([prefix, json, Buffer.alloc(dataBytes)]));
    return file;
  }
  const entry = (dtype: string, shape: number[], offsets: number[]) => ({ dtype, shape, data_offsets: offsets });

  it('a file truncated inside the data names the tensor', async () => {
    const file = await fileWith({ a: entry('F32', [2], [0, 8]), b: entry('F32', [4], [8, 24]) }, 12);
    await expect(readSafetensors(file)).rejects.toThrow(/tensor "b" ends at data byte 24 but the file has only 12 data bytes: the file is truncated/);
  });

  it('a file shorter than 8 bytes, or a header length past the end, names offset 0', async () => {
    const tiny = join(await tempDir(), 'tiny.safetensors');
    await writeFile(tiny, Buffer.from([1, 2, 3]));
    await expect(readSafetensors(tiny)).rejects.toThrow(/3 bytes is too short/);
    const file = await fileWith({}, 0, 1000);
    await expect(readSafetensors(file)).rejects.toThrow(/header length 1000 \(byte offset 0\) exceeds the file size 10/);
  });

  it('a corrupt JSON header names byte offset 8', async () => {
    const file = await fileWith('{"a": {"dtype": ', 0);
    await expect(readSafetensors(file)).rejects.toThrow(/corrupt safetensors header at byte offset 8 \(not valid JSON/);
    await expect(readSafetensors(file)).rejects.toBeInstanceOf(SafetensorsFormatError);
  });

  it('an unsupported dtype names the tensor and dtype', async () => {
    const file = await fileWith({ ids: entry('I64', [2], [0, 16]) }, 16);
    await expect(readSafetensors(file)).rejects.toThrow(/tensor "ids" has dtype "I64"; only F32, F16 and BF16/);
  });

  it('shape × dtype size disagreeing with data_offsets names the tensor', async () => {
    const file = await fileWith({ w: entry('F16', [2, 3], [0, 10]) }, 12);
    await expect(readSafetensors(file)).rejects.toThrow(/tensor "w" \(F16 \[2,3\]\) needs 12 bytes but data_offsets \[0, 10\] span 10/);
  });

  it('overlapping offsets name both tensors', async () => {
    const file = await fileWith({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, 12);
    await expect(readSafetensors(file)).rejects.toThrow(/tensors "a" and "b" overlap \(data byte offset 4 < 8\)/);
  });

  it('invalid shapes and offsets name the tensor', async () => {
    await expect(readSafetensors(await fileWith({ s: entry('F32', [-1], [0, 0]) }, 0))).rejects.toThrow(/tensor "s" has an invalid shape \[-1\]/);
    await expect(readSafetensors(await fileWith({ o: entry('F32', [1], [4, 0]) }, 4))).rejects.toThrow(/tensor "o" has invalid data_offsets \[4,0\]/);
  });
});
