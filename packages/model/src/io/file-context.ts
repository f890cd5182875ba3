/**
 * The model package's reads and writes go through @grpojs/data's withFileContext, so a system
 * failure (ENOSPC, EACCES, EISDIR, a RangeError from a short buffer) becomes a ModelFileError that
 * names the file and what was being done, the original kept as `cause` and its `code`.
 */
import { withFileContext } from '@grpojs/data';
import { ModelFileError } from './errors.js';

/**
 * Runs `io` on `file`; a system failure is rethrown as a ModelFileError (this package's other
 * errors pass unchanged).
 * @param action what is being done, as a verb phrase before the path: `read the header of`, `write`.
 */
export function modelFileIo<T>(action: string, file: string, io: () => Promise<T>): Promise<T> {
  return withFileContext(action, file, io, (message, cause) => new ModelFileError(message, file, { cause }));
}
