/**
 * Small durable-file helpers shared by the run directory and the offline W&B writer: appends that
 * survive a crash (fsync after each write, one writer queue per file so un-awaited calls keep their
 * order) and whole-file writes that are atomic (temp file + rename).
 */
import { open, rename, writeFile, type FileHandle } from 'node:fs/promises';

/** An append-only JSON-lines file; every `append` is flushed to disk before its promise resolves. */
export class JsonlAppender {
  private handle: Promise<FileHandle>;
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {
    this.handle = open(path, 'a');
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
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n', 'utf8');
  await rename(tmp, path);
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
