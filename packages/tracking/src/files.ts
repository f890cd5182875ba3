/**
 * Small durable-file helpers shared by the run directory, the offline W&B writer and the trainer's
 * completions.jsonl: appends that survive a crash (fsync after each write, one writer queue per
 * file so un-awaited calls keep their order), the repair of a line torn by a crash or a full disk
 * (the file is cut back to its last complete line before anything is appended), and whole-file
 * writes that are atomic (temp file, fsync, rename, fsync of the folder).
 */
import { open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Bytes read per step while looking backwards for the last newline of a file. */
const TAIL_CHUNK = 64 * 1024;

/**
 * Cuts a JSON-lines file back to its last complete line (one that ends in "\n") and fsyncs it;
 * returns how many bytes were dropped (0 for a clean, empty or missing file). A crash or a full
 * disk in the middle of an append leaves such a torn tail; appending after it would glue the next
 * line onto it.
 */
export async function repairJsonlTail(path: string): Promise<number> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  try {
    const size = (await handle.stat()).size;
    let end = size;
    const buffer = Buffer.alloc(TAIL_CHUNK);
    while (end > 0) {
      const start = Math.max(0, end - TAIL_CHUNK);
      const { bytesRead } = await handle.read(buffer, 0, end - start, start);
      const newline = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (newline >= 0) {
        end = start + newline + 1;
        break;
      }
      end = start;
    }
    if (end === size) return 0;
    await handle.truncate(end);
    await handle.sync();
    return size - end;
  } finally {
    await handle.close();
  }
}

/** Appends one JSON line per row to `path` (created if missing) and fsyncs before resolving. */
export async function appendJsonl(path: string, rows: readonly unknown[]): Promise<void> {
  if (rows.length === 0) return;
  const handle = await open(path, 'a');
  try {
    await handle.appendFile(rows.map((row) => JSON.stringify(row)).join('\n') + '\n', 'utf8');
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** fsyncs a folder so a rename in it is durable (a no-op where folders cannot be opened, e.g. Windows). */
export async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP', 'EACCES'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/** An append-only JSON-lines file; every `append` is flushed to disk before its promise resolves. */
export class JsonlAppender {
  private handle: Promise<FileHandle>;
  private queue: Promise<void> = Promise.resolve();

  /** @param onRepair told how many bytes of a torn last line were cut off before the first append. */
  constructor(readonly path: string, onRepair?: (droppedBytes: number) => void) {
    this.handle = repairJsonlTail(path).then((dropped) => {
      if (dropped > 0) onRepair?.(dropped);
      return open(path, 'a');
    });
    // An open failure surfaces on the first append; avoid an unhandled rejection meanwhile.
    this.handle.catch(() => undefined);
  }

  /** Appends one JSON line per row and fsyncs; rejects on I/O failure. */
  append(rows: readonly unknown[]): Promise<void> {
    const text = rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
    const next = this.queue.then(async () => {
      const handle = await this.handle;
      await handle.appendFile(text, 'utf8');
      await handle.datasync();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Waits for pending appends, then closes the file. */
  async close(): Promise<void> {
    await this.queue;
    const handle = await this.handle.catch(() => undefined);
    await handle?.close();
  }
}

/** Writes `value` as pretty JSON to `path` atomically (a reader never sees half a file). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify(value, null, 2) + '\n', 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
}

/** A timestamp usable in a folder name: 20261125-114500 (UTC). */
export function folderStamp(date: Date): string {
  const iso = date.toISOString(); // 2026-11-25T11:45:00.000Z
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

/** `name` reduced to characters safe in a folder name on every OS. */
export function safeName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return cleaned === '' ? 'run' : cleaned.slice(0, 80);
}
