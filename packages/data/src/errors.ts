/**
 * Error classes of @grpojs/data. Every message names the file, line, field, split or repository
 * involved and says what to do, so a failing training run can be fixed without reading this code.
 */

/** Base class of every error thrown by this package; `instanceof DataError` catches them all. */
export class DataError extends Error {
  override name = 'DataError';
}

/** A dataset file or row is malformed (bad JSON, missing or mistyped field, empty file). */
export class DatasetFormatError extends DataError {
  override name = 'DatasetFormatError';
  /**
   * @param message what is wrong and what to do.
   * @param file the file being read.
   * @param line 1-based line (jsonl) or row (parquet) number, when the problem is one row.
   */
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** The requested split does not exist in the source; `available` lists the ones that do. */
export class UnknownSplitError extends DataError {
  override name = 'UnknownSplitError';
  constructor(
    readonly split: string,
    readonly available: readonly string[],
    source: string,
  ) {
    super(
      `Unknown split "${split}" in ${source}. Available splits: ${available.length > 0 ? available.join(', ') : '(none found)'}.`,
    );
  }
}

/** A file was asked for with `offline` (or HF_HUB_OFFLINE) set, and it is not in the local cache. */
export class HubOfflineError extends DataError {
  override name = 'HubOfflineError';
}

/** The hub (or HF_ENDPOINT mirror) could not be reached and the file is not cached. */
export class HubUnreachableError extends DataError {
  override name = 'HubUnreachableError';
}

/** The hub answered, but the repository, revision or file does not exist or is not accessible. */
export class HubFileNotFoundError extends DataError {
  override name = 'HubFileNotFoundError';
}

/** The hub refused the request (401/403): the token is missing, wrong, or lacks access. */
export class HubAuthError extends DataError {
  override name = 'HubAuthError';
}

/**
 * Appends to a hub error the fact that `source` was not found on disk, since a mistyped local path
 * (`data/gsm8k`) is indistinguishable from a hub id and otherwise reads as a network problem.
 */
export function notLocalEither(err: unknown, source: string, resolved: string): unknown {
  if (err instanceof HubUnreachableError || err instanceof HubOfflineError || err instanceof HubFileNotFoundError) {
    err.message += ` ("${source}" was treated as a hub id because no local path ${resolved} exists.)`;
  }
  return err;
}
