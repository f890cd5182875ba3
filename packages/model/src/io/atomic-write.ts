/**
 * Atomic file writes: write a temp file in the destination folder, then rename it over the final
 * name, so an interrupted save never leaves a half-written checkpoint file behind.
 */
import { rename, rm, writeFile } from 'node:fs/promises';

/** A unique temp path next to `file` (same folder, so the rename stays on one filesystem). */
export function tempPathFor(file: string): string {
  return `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

/** Writes `data` to `file` atomically (temp file + rename). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(file);
  try {
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Writes `value` as pretty JSON (2-space indent, trailing newline, as transformers writes) atomically. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}
