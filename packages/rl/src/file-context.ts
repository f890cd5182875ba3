/**
 * rl's reads and writes go through @grpojs/data's withFileContext, so a system failure (ENOSPC
 * while a checkpoint is written, EISDIR, a RangeError from a short buffer) names the file and what
 * was being done, with the original as `cause` and its `code`: a CheckpointError for checkpoint
 * files, a FileAccessError for the others (completions.jsonl).
 */
import { withFileContext } from '@grpojs/data';
import { writeFile } from 'node:fs/promises';
import { CheckpointError } from './errors.js';

/** Runs `io` on a checkpoint file; a system failure becomes a CheckpointError naming `file` and `action`. */
export function checkpointFileIo<T>(action: string, file: string, io: () => Promise<T>): Promise<T> {
  return withFileContext(action, file, io, (message, cause) => new CheckpointError(message, { cause }));
}

/** `writeFile` for the files of a checkpoint: a failure names the file. */
export function writeCheckpointFile(file: string, data: string | Uint8Array): Promise<void> {
  return checkpointFileIo('write checkpoint file', file, () => writeFile(file, data));
}

/** Runs `io` on another file of the output folder; a system failure becomes a FileAccessError naming it. */
export function outputFileIo<T>(action: string, file: string, io: () => Promise<T>): Promise<T> {
  return withFileContext(action, file, io);
}
