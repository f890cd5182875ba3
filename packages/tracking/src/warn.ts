/**
 * How trackers complain: one line on stderr, prefixed, so a failing backend is visible without a
 * stack trace drowning the training output. Injectable so tests can capture it.
 */

/** Receives one warning line (no trailing newline). */
export type Warn = (message: string) => void;

/** The default warning sink: `[grpojs/tracking] <message>` on stderr. */
export const defaultWarn: Warn = (message) => {
  process.stderr.write(`[grpojs/tracking] ${message}\n`);
};

/** Error → short message without the stack. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
