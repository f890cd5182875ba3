/**
 * Errors for misuse of the tracking API (bad argument, bad environment variable). I/O failures are
 * never thrown at the trainer: trackers warn and carry on instead.
 */

/** A caller passed a bad argument or the environment holds a bad value; the message says which and what to do. */
export class TrackingError extends Error {
  override name = 'TrackingError';
}

/** Throws a TrackingError unless `step` is a non-negative integer; `where` names the method. */
export function assertStep(step: number, where: string): void {
  if (!Number.isInteger(step) || step < 0) {
    throw new TrackingError(`${where}: argument "step" must be a non-negative integer, got ${String(step)}`);
  }
}
