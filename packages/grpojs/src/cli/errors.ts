/**
 * The runner's error classes: a bad command line or config file (the CLI prints its message, which
 * names the flag, file and field, without a stack trace and exits with status 2), and a training run
 * stopped by a signal (exit status 130 or 143).
 */

/** A usage problem: bad flag value, unreadable or invalid config file, unknown preset. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

/** The signals that stop a training run cleanly, and the exit status for each (128 + its number, as a shell reports a process it killed). */
export const STOP_SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof STOP_SIGNAL_EXIT_CODES;

/** A run stopped early by SIGINT/SIGTERM after saving a checkpoint; the CLI prints the message (how to resume) and exits non-zero. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  readonly exitCode: number;
  constructor(
    readonly signal: StopSignal,
    message: string,
  ) {
    super(message);
    this.exitCode = STOP_SIGNAL_EXIT_CODES[signal];
  }
}

