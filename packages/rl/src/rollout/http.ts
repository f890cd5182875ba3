/** JSON POST with a deadline, for the rollout servers; every failure becomes a RolloutServerError naming the URL. */
import { RolloutServerError } from './errors.js';

/** The fetch this module needs (the global one by default; tests may pass another). */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
}>;

/**
 * POSTs `body` to `base + path` and returns the response text (a JSON value when `json`). Gives up
 * after `timeoutMs`; an abort of `signal` rejects with the signal's reason (not a server failure).
 */
export async function postJson(
  fetchImpl: FetchLike,
  base: string,
  path: string,
  body: unknown,
  options: { timeoutMs: number; signal?: AbortSignal; json: boolean },
): Promise<unknown> {
  const url = `${base.replace(/\/+$/, '')}${path}`;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let status = 0;
  let text: string;
  try {
    const response = await fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
    status = response.status;
    text = await response.text();
    if (!response.ok) throw new RolloutServerError(base, `POST ${url} answered HTTP ${status}: ${text.slice(0, 300)}`);
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (error instanceof RolloutServerError) throw error;
    const why = timeout.aborted ? `no answer within ${options.timeoutMs / 1000} s` : describe(error);
    throw new RolloutServerError(base, `POST ${url} failed: ${why}`);
  }
  if (!options.json) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RolloutServerError(base, `POST ${url} answered HTTP ${status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

/** An error's message with its cause (fetch puts ECONNREFUSED there). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
