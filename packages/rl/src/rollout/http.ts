/** JSON POST with a deadline, for the rollout servers; every failure becomes a RolloutServerError naming the URL. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { RolloutServerError } from './errors.js';

/** The fetch this module needs (the global one by default; tests may pass another). */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
}>;

/**
 * The default FetchLike, over node:http(s), whose only deadline is the caller's signal. Node's global
 * fetch (undici) also gives up when no response headers came within 300 s (its Agent's
 * headersTimeout), and a non-streaming /v1/completions answer sends its headers only once the whole
 * batch is sampled, so a long vLLM batch would fail there, far short of rolloutRequestTimeout.
 * One connection per request (no keep-alive pool): a few requests per step, and no pooled socket
 * that the server closes just as it is reused.
 */
export const nodeFetch: FetchLike = (url, init) =>
  new Promise((resolvePromise, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
    const req = send(target, { method: init.method, headers, signal: init.signal, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        resolvePromise({ ok: status >= 200 && status < 300, status, text: async () => text });
      });
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(new Error('the connection closed before the response ended'));
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });

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
