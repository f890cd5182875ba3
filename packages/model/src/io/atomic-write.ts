/**
 * Atomic file writes: write a temp file in the destination folder, fsync it, rename it over the
 * final name and fsync the folder, so an interrupted save (or a power loss right after it) never
 * leaves a half-written file behind. The temp names are ours alone (`<file>.tmp-<pid>-<random>`),
 * which lets a later run find and remove the temporaries of a killed one (removeStaleTempFiles).
 */
import { open, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { modelFileIo } from './file-context.js';

/** `<file>.tmp-<pid>-<random>`: the one shape of our temp names; group 1 is the writer's pid. */
const TEMP_NAME = /\.tmp-(\d+)-[0-9a-z]{1,16}$/;

/** A unique temp path next to `file` (same folder, so the rename stays on one filesystem). */
export function tempPathFor(file: string): string {
  return `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

/** The pid of the process that wrote temp file `name` (a name tempPathFor made), else null. */
export function atomicTempOwner(name: string): number | null {
  const match = TEMP_NAME.exec(name);
  return match ? Number(match[1]) : null;
}

/** True while process `pid` runs (EPERM: it runs as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files tempPathFor made in `dir` (not below it) whose writer is gone — or is
 * this process, which has not started writing yet when a run calls this. Returns the removed
 * paths; a missing folder removes nothing.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const pid = atomicTempOwner(name);
    if (pid === null || (pid !== process.pid && processAlive(pid))) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed.push(join(dir, name));
  }
  return removed;
}

/** fsyncs a folder, so a rename inside it survives a power loss (a no-op where folders cannot be opened, e.g. Windows). */
export async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP', 'EACCES'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/** Writes `data` to `file` and fsyncs it before resolving (writeFile's `flush` needs Node 20.10). */
export async function writeFileSynced(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `file` atomically and durably (temp file, fsync, rename, fsync of the folder). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(file);
  try {
    await modelFileIo('write', file, () => writeFileSynced(temp, data));
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dirname(file));
}

/** Writes `value` as pretty JSON (2-space indent, trailing newline, as transformers writes) atomically. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}
