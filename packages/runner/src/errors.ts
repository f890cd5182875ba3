/**
 * The runner's one error class: a bad command line or config file. The CLI prints its message
 * (which names the flag, file and field) without a stack trace and exits with status 2.
 */

/** A usage problem: bad flag value, unreadable or invalid config file, unknown preset. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}
