/**
 * Reader and writer for the safetensors format (what `transformers` and `peft` save): an 8-byte
 * little-endian header length, a JSON header `{name: {dtype, shape, data_offsets}, __metadata__?}`
 * padded with spaces, then raw little-endian tensor bytes. Hand-written because no well-kept npm
 * package for it was at hand and the format is small and fully specified; owning it gives one-copy
 * reads and errors that name the tensor or byte offset.
 *
 * Reading is one copy: each F32 tensor is read from disk straight into its final Float32Array;
 * F16/BF16 go through one 16-bit staging array and a bulk conversion (see half-float.ts).
 */
import { open, rename, rm } from 'node:fs/promises';
import { endianness } from 'node:os';
import { dirname } from 'node:path';
import { syncDir, tempPathFor } from './atomic-write.js';
import { bf16ToF32, f16ToF32, f32ToBF16, f32ToF16 } from './half-float.js';
import { SafetensorsFormatError } from './errors.js';
import { modelFileIo } from './file-context.js';

/** The stored dtypes we load. Every tensor is f32 on the host after reading. */
export type HostDType = 'F32' | 'F16' | 'BF16';

/** A tensor in host memory, row-major. `data.length` equals the product of `shape`. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /** String key/values stored under `__metadata__` (e.g. `{ format: 'pt' }`, which torch loaders expect). */
  metadata?: Record<string, string>;
  /** Stored dtype of every tensor. Default F32. */
  dtype?: HostDType;
}

const BYTES: Record<HostDType, number> = { F32: 4, F16: 2, BF16: 2 };
/** The Python library refuses headers above 100 MB; so do we (a bigger one means a corrupt file). */
const MAX_HEADER_BYTES = 100_000_000;

interface HeaderEntry {
  name: string;
  dtype: HostDType;
  shape: number[];
  begin: number;
  end: number;
}

function assertLittleEndianHost(file: string): void {
  if (endianness() !== 'LE') {
    throw new SafetensorsFormatError(`${file}: safetensors data is little-endian; this host is big-endian and is not supported.`, file);
  }
}

/** Product of a shape's dims (1 for a scalar `[]`). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Parses and validates the JSON header; `dataBytes` is the file size minus the header. */
function parseHeader(text: string, file: string, dataBytes: number): HeaderEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsFormatError(
      `${file}: corrupt safetensors header at byte offset 8 (not valid JSON: ${(error as Error).message}). Re-download or re-save the file.`,
      file,
    );
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SafetensorsFormatError(`${file}: corrupt safetensors header at byte offset 8 (expected a JSON object).`, file);
  }
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (entry === null || typeof entry !== 'object') {
      throw new SafetensorsFormatError(`${file}: tensor "${name}" has a corrupt header entry (expected {dtype, shape, data_offsets}).`, file);
    }
    if (entry.dtype !== 'F32' && entry.dtype !== 'F16' && entry.dtype !== 'BF16') {
      throw new SafetensorsFormatError(
        `${file}: tensor "${name}" has dtype ${JSON.stringify(entry.dtype)}; only F32, F16 and BF16 are supported. Re-save the checkpoint in one of those.`,
        file,
      );
    }
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsFormatError(`${file}: tensor "${name}" has an invalid shape ${JSON.stringify(shape)}.`, file);
    }
    const offsets = entry.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[1] < offsets[0]) {
      throw new SafetensorsFormatError(`${file}: tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}.`, file);
    }
    const [begin, end] = offsets as [number, number];
    const expected = shapeSize(shape as number[]) * BYTES[entry.dtype];
    if (end - begin !== expected) {
      throw new SafetensorsFormatError(
        `${file}: tensor "${name}" (${entry.dtype} ${JSON.stringify(shape)}) needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}.`,
        file,
      );
    }
    if (end > dataBytes) {
      throw new SafetensorsFormatError(
        `${file}: tensor "${name}" ends at data byte ${end} but the file has only ${dataBytes} data bytes: the file is truncated. Re-download it.`,
        file,
      );
    }
    entries.push({ name, dtype: entry.dtype, shape: shape as number[], begin, end });
  }
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < byOffset.length; i++) {
    if (byOffset[i].begin < byOffset[i - 1].end) {
      throw new SafetensorsFormatError(
        `${file}: tensors "${byOffset[i - 1].name}" and "${byOffset[i].name}" overlap (data byte offset ${byOffset[i].begin} < ${byOffset[i - 1].end}): corrupt header.`,
        file,
      );
    }
  }
  return entries;
}

type FileHandle = Awaited<ReturnType<typeof open>>;

/** Fills `view` from `position`, looping because one read() may return fewer bytes than asked. */
async function readFully(fh: FileHandle, view: Uint8Array, position: number, file: string, what: string): Promise<void> {
  let done = 0;
  while (done < view.length) {
    const { bytesRead } = await modelFileIo(`read ${what} of`, file, () => fh.read(view, done, view.length - done, position + done));
    if (bytesRead === 0) {
      throw new SafetensorsFormatError(
        `${file}: unexpected end of file at byte offset ${position + done} while reading ${what}: the file is truncated. Re-download it.`,
        file,
      );
    }
    done += bytesRead;
  }
}

/** Writes all of `view` at the current position, looping over partial writes; errors name `file`. */
async function writeFully(fh: FileHandle, view: Uint8Array, file: string): Promise<void> {
  let done = 0;
  while (done < view.length) {
    const { bytesWritten } = await modelFileIo('write the safetensors file', file, () => fh.write(view, done, view.length - done));
    done += bytesWritten;
  }
}

/**
 * Reads every tensor of a safetensors file into f32 host arrays.
 * @param file path of a `.safetensors` file.
 * @returns tensors by name, in header order. F16/BF16 are converted to f32.
 * @throws SafetensorsFormatError naming the byte offset or tensor when the file is truncated,
 *   the header is corrupt, offsets overlap or run past the end, or a dtype is unsupported.
 */
export async function readSafetensors(file: string): Promise<Map<string, HostTensor>> {
  assertLittleEndianHost(file);
  const fh = await modelFileIo('open the safetensors file', file, () => open(file, 'r'));
  try {
    const size = (await fh.stat()).size;
    if (size < 8) {
      throw new SafetensorsFormatError(`${file}: ${size} bytes is too short for a safetensors file (the 8-byte header length is missing): truncated or not safetensors.`, file);
    }
    const lengthBytes = new Uint8Array(8);
    await readFully(fh, lengthBytes, 0, file, 'the header length');
    const headerLength = Number(new DataView(lengthBytes.buffer).getBigUint64(0, true));
    if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
      throw new SafetensorsFormatError(
        `${file}: header length ${headerLength} (byte offset 0) exceeds the file size ${size}: the file is truncated or not safetensors.`,
        file,
      );
    }
    const headerBytes = new Uint8Array(headerLength);
    await readFully(fh, headerBytes, 8, file, 'the header');
    const dataStart = 8 + headerLength;
    const entries = parseHeader(new TextDecoder().decode(headerBytes), file, size - dataStart);
    const tensors = new Map<string, HostTensor>();
    for (const entry of entries) {
      const count = shapeSize(entry.shape);
      const data = new Float32Array(count);
      const position = dataStart + entry.begin;
      const what = `tensor "${entry.name}"`;
      if (entry.dtype === 'F32') {
        await readFully(fh, new Uint8Array(data.buffer), position, file, what);
      } else {
        const half = new Uint16Array(count);
        await readFully(fh, new Uint8Array(half.buffer), position, file, what);
        (entry.dtype === 'F16' ? f16ToF32 : bf16ToF32)(half, data);
      }
      tensors.set(entry.name, { shape: [...entry.shape], data });
    }
    return tensors;
  } finally {
    await fh.close();
  }
}

/** Reads only the `__metadata__` of a safetensors file (e.g. to check `format: pt`). */
export async function readSafetensorsMetadata(file: string): Promise<Record<string, string>> {
  const fh = await modelFileIo('open the safetensors file', file, () => open(file, 'r'));
  try {
    const size = (await fh.stat()).size;
    const lengthBytes = new Uint8Array(8);
    await readFully(fh, lengthBytes, 0, file, 'the header length');
    const headerLength = Number(new DataView(lengthBytes.buffer).getBigUint64(0, true));
    if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
      throw new SafetensorsFormatError(`${file}: header length ${headerLength} (byte offset 0) exceeds the file size ${size}: truncated.`, file);
    }
    const headerBytes = new Uint8Array(headerLength);
    await readFully(fh, headerBytes, 8, file, 'the header');
    const json = JSON.parse(new TextDecoder().decode(headerBytes)) as { __metadata__?: Record<string, string> };
    return json.__metadata__ ?? {};
  } finally {
    await fh.close();
  }
}

/**
 * Writes tensors as a safetensors file the Python library reads: names sorted, header padded with
 * spaces to a multiple of 8 bytes, data in name order. The write is atomic (a temp file in the same
 * folder, then rename), so a crash never leaves a half-written checkpoint under the final name.
 * @param file destination path.
 * @param tensors name → tensor; `data.length` must equal the product of `shape`.
 * @param options `metadata` for `__metadata__`, `dtype` of the stored values (default F32).
 */
export async function writeSafetensors(
  file: string,
  tensors: Record<string, HostTensor> | Map<string, HostTensor>,
  options: WriteSafetensorsOptions = {},
): Promise<void> {
  assertLittleEndianHost(file);
  const dtype = options.dtype ?? 'F32';
  if (BYTES[dtype] === undefined) {
    throw new SafetensorsFormatError(`${file}: cannot write dtype ${JSON.stringify(dtype)}; use F32, F16 or BF16.`, file);
  }
  const map = tensors instanceof Map ? tensors : new Map(Object.entries(tensors));
  const names = [...map.keys()].sort();
  const header: Record<string, unknown> = {};
  if (options.metadata !== undefined) header.__metadata__ = options.metadata;
  let offset = 0;
  for (const name of names) {
    const t = map.get(name)!;
    const count = shapeSize(t.shape);
    if (!(t.data instanceof Float32Array) || t.data.length !== count) {
      throw new SafetensorsFormatError(
        `${file}: tensor "${name}" has shape ${JSON.stringify(t.shape)} (${count} values) but its data holds ${t.data?.length} values.`,
        file,
      );
    }
    const bytes = count * BYTES[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) {
    const withPad = new Uint8Array(padded).fill(0x20);
    withPad.set(headerBytes);
    headerBytes = withPad;
  }
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);

  const temp = tempPathFor(file);
  const fh = await modelFileIo('create a temporary file to write', file, () => open(temp, 'w'));
  try {
    await writeFully(fh, prefix, file);
    await writeFully(fh, headerBytes, file);
    for (const name of names) {
      const data = map.get(name)!.data;
      const stored = dtype === 'F32' ? data : dtype === 'F16' ? f32ToF16(data) : f32ToBF16(data);
      await writeFully(fh, new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength), file);
    }
    await fh.sync();
    await fh.close();
    await rename(temp, file);
  } catch (error) {
    await fh.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dirname(file));
}
