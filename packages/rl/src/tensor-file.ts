/**
 * A minimal float32 tensor container for trainer checkpoints: `<name>.json` lists each tensor's
 * name, shape and offset, `<name>.bin` holds the raw little-endian float32 values. Exact bits are
 * what an exact resume needs; the PEFT adapter itself is written by the model's own `save`. The
 * manifest records the sha256 of `<name>.bin`, so a damaged file is told from a complete one.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from './errors.js';
import { writeCheckpointFile } from './file-context.js';

/** One named host tensor. */
export interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

interface Manifest {
  format: 'grpojs-f32';
  metadata: Record<string, unknown>;
  /** sha256 of `<name>.bin` (absent from files written before it was recorded). */
  sha256?: string;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
}

/** Writes `<dir>/<base>.json` and `<dir>/<base>.bin`. */
export async function writeTensorFile(
  dir: string,
  base: string,
  tensors: readonly NamedArray[],
  metadata: Record<string, unknown> = {},
): Promise<void> {
  const total = tensors.reduce((s, t) => s + t.data.length, 0);
  const all = new Float32Array(total);
  const manifest: Manifest = { format: 'grpojs-f32', metadata, tensors: [] };
  let offset = 0;
  for (const t of tensors) {
    all.set(t.data, offset);
    manifest.tensors.push({ name: t.name, shape: t.shape, offset, length: t.data.length });
    offset += t.data.length;
  }
  const bytes = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
  manifest.sha256 = createHash('sha256').update(bytes).digest('hex');
  await writeCheckpointFile(join(dir, `${base}.bin`), bytes);
  await writeCheckpointFile(join(dir, `${base}.json`), `${JSON.stringify(manifest, null, 1)}\n`);
}

/** Reads a file pair written by writeTensorFile; errors name the file and what is wrong. */
export async function readTensorFile(dir: string, base: string): Promise<{ tensors: NamedArray[]; metadata: Record<string, unknown> }> {
  const manifestPath = join(dir, `${base}.json`);
  const binPath = join(dir, `${base}.bin`);
  let manifest: Manifest;
  let bytes: Buffer;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
    bytes = await readFile(binPath);
  } catch (error) {
    throw new CheckpointError(`Cannot read ${manifestPath} / ${binPath}: ${(error as Error).message}. Is this a complete checkpoint folder?`, { cause: error });
  }
  if (manifest.format !== 'grpojs-f32' || !Array.isArray(manifest.tensors)) {
    throw new CheckpointError(`${manifestPath} is not a grpojs tensor manifest (format "${String(manifest.format)}").`);
  }
  const stored = manifest.tensors.reduce((sum, t) => sum + t.length, 0);
  if (bytes.byteLength !== stored * 4) {
    throw new CheckpointError(`${binPath} holds ${bytes.byteLength} bytes but ${manifestPath} lists ${stored} float32 values (${stored * 4} bytes); the file is truncated or damaged.`);
  }
  if (manifest.sha256 !== undefined && createHash('sha256').update(bytes).digest('hex') !== manifest.sha256) {
    throw new CheckpointError(`${binPath}: its sha256 differs from the one ${manifestPath} recorded; the file is damaged.`);
  }
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const tensors = manifest.tensors.map((t) => {
    if (t.offset + t.length > values.length || t.shape.reduce((a, b) => a * b, 1) !== t.length) {
      throw new CheckpointError(
        `${binPath}: tensor "${t.name}" (shape [${t.shape}], offset ${t.offset}, length ${t.length}) does not fit the ${values.length} stored values; the file is truncated or corrupt.`,
      );
    }
    return { name: t.name, shape: t.shape, data: values.slice(t.offset, t.offset + t.length) };
  });
  return { tensors, metadata: manifest.metadata ?? {} };
}
