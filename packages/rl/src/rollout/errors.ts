/** Errors of the server rollout: each names the server URL and what to do. */

/** One rollout server failed a request (network error, timeout, HTTP error, malformed body). */
export class RolloutServerError extends Error {
  override readonly name = 'RolloutServerError';
  constructor(
    readonly url: string,
    message: string,
  ) {
    super(message);
  }
}

/** No rollout server is left to sample or load a policy version: training cannot continue. */
export class NoRolloutServerLeftError extends Error {
  override readonly name = 'NoRolloutServerLeftError';
}
