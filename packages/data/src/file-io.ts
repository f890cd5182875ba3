/**
 * Errors of reads and writes that name their file. Node's own errors often do not: a write that
 * fills the disk says "ENOSPC: no space left on device, write", a read of a folder through a file
 * handle "EISDIR: illegal operation on a directory, read", and a typed array over a truncated
 * buffer "RangeError: byte length of Float32Array should be a multiple of 4". Every read and write
 * site of data, model and rl runs through {@link withFileContext}, which rethrows such a failure
 * with the path, what was being done and what to do, the original kept as `cause` (and its `code`).
 * Each package passes its own error class, so `instanceof ModelFileError` / `CheckpointError` still
 * catch them.
 */
import { DataError } from './errors.js';

/** A read or write of `file` failed; `cause` is the system's error, `code` its errno name (ENOSPC, EACCES, …). */
export class FileAccessError extends DataError {
  override name = 'FileAccessError';
  readonly code: string | undefined;
  constructor(
    message: string,
    readonly file: string,
    cause: unknown,
  ) {
    super(message, { cause });
    this.code = errnoCode(cause);
  }
}

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What the system reported, in words, with what to do. */
const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device; free some space or choose a folder on another disk',
  EDQUOT: 'the disk quota is exceeded; free some space or choose another folder',
  EACCES: 'permission denied; check the owner and permissions of the file and its folder',
  EPERM: 'the operation is not permitted; check the owner and permissions of the file and its folder',
  EROFS: 'the file system is read-only; choose a writable folder',
  EISDIR: 'it is a folder where a file was expected',
  ENOTDIR: 'a part of the path is a file where a folder was expected',
  ENOENT: 'it does not exist',
  EEXIST: 'it already exists',
  EMFILE: 'too many files are open; raise the limit (ulimit -n)',
  ENFILE: 'too many files are open on this system',
  EIO: 'an I/O error; the disk or network mount may be failing',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many symbolic links',
};

/** Whether `error` is a failure this module explains: an errno error from the system, or a RangeError (a buffer that does not fit). */
export function isFileSystemFailure(error: unknown): boolean {
  const code = errnoCode(error);
  return (code !== undefined && /^E[A-Z]+$/.test(code)) || error instanceof RangeError;
}

/** `Cannot <action> <file>: <reason> (<code>).` for a system error or RangeError. */
export function fileFailureMessage(action: string, file: string, error: unknown): string {
  const code = errnoCode(error);
  if (code !== undefined && REASONS[code] !== undefined) return `Cannot ${action} ${file}: ${REASONS[code]} (${code}).`;
  if (error instanceof RangeError) return `Cannot ${action} ${file}: its contents do not fit what was expected; the file is truncated or corrupt (${error.message}).`;
  return `Cannot ${action} ${file}: ${(error as Error)?.message ?? String(error)}.`;
}

/**
 * Runs `io`, a read or write of `file`, and rethrows a system failure (errno error or RangeError)
 * as `wrap(message, cause)` (default {@link FileAccessError}) with the message of
 * {@link fileFailureMessage} and the original's `code`; other errors (the caller's own, which
 * already say what is wrong) pass through unchanged.
 * @param action what was being done, as a verb phrase: `read the safetensors header of`, `write checkpoint file`.
 */
export async function withFileContext<T>(
  action: string,
  file: string,
  io: () => Promise<T>,
  wrap: (message: string, cause: unknown) => Error = (message, cause) => new FileAccessError(message, file, cause),
): Promise<T> {
  try {
    return await io();
  } catch (error) {
    throw contextError(action, file, error, wrap);
  }
}

/** {@link withFileContext} for synchronous reads and writes. */
export function withFileContextSync<T>(
  action: string,
  file: string,
  io: () => T,
  wrap: (message: string, cause: unknown) => Error = (message, cause) => new FileAccessError(message, file, cause),
): T {
  try {
    return io();
  } catch (error) {
    throw contextError(action, file, error, wrap);
  }
}

/** Errors made here: an inner withFileContext's error passes an outer one unchanged. */
const wrappedHere = new WeakSet<object>();

function contextError(action: string, file: string, error: unknown, wrap: (message: string, cause: unknown) => Error): unknown {
  if (!isFileSystemFailure(error) || wrappedHere.has(error as object)) return error;
  const wrapped = wrap(fileFailureMessage(action, file, error), error);
  wrappedHere.add(wrapped);
  const code = errnoCode(error);
  // Callers test `code === 'ENOENT'` on what they catch; the wrapper keeps answering that.
  if (code !== undefined && (wrapped as { code?: unknown }).code === undefined) Object.assign(wrapped, { code });
  return wrapped;
}
