/**
 * Batched autoregressive generation with a KV cache, as transformers' `generate` for GPT-2:
 * prompts are left-padded with an attention mask, position ids are cumsum(mask) − 1 (so a padded
 * row sees the same positions as unpadded), the prompt is run once (prefill) and then one token
 * per step reuses the cache. Rows stop independently at EOS; finished rows are fed the pad token
 * until every row is done or maxNewTokens is reached. Only the last position's logits are
 * computed, and tokens are chosen on the host (sampling.ts). Given a {@link NativeDecodeSession}, every
 * token after the prefill is computed by @grpojs/accel's native engine instead of the tfjs forward
 * (native-decode.ts, native-llama-decode.ts); the sampling, its random stream and the positions are
 * the same. A GRPO batch repeats every prompt numGenerations times, so the prefill runs on the
 * distinct prompts only and their cache and logits are copied to the repeating rows (`dedupPrompts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { CausalTransformer } from '../transformer.js';
import { KVCache } from './kv-cache.js';
import type { NativeDecodeSession } from './native-decode-session.js';
import { Mulberry32, sampleToken, type SamplingOptions } from './sampling.js';
import type { GenerateOptions, GenerateOutput } from '../types.js';

/** Thrown for invalid generate() arguments. */
export class GenerateError extends Error {
  override name = 'GenerateError';
}

/** Left-pads rows to a common length: ids [rows, P] and mask [rows, P] (1 = real token). */
export function leftPad(rows: number[][], pad: number): { ids: number[][]; mask: number[][] } {
  const P = Math.max(...rows.map((r) => r.length));
  return {
    ids: rows.map((r) => [...new Array<number>(P - r.length).fill(pad), ...r]),
    mask: rows.map((r) => [...new Array<number>(P - r.length).fill(0), ...new Array<number>(r.length).fill(1)]),
  };
}

function resolveOptions(model: CausalTransformer, promptIds: number[][], o: GenerateOptions) {
  const where = 'generate';
  if (!Array.isArray(promptIds) || promptIds.length === 0) throw new GenerateError(`${where}: promptIds must hold at least one row.`);
  promptIds.forEach((row, b) => {
    if (!Array.isArray(row) || row.length === 0) throw new GenerateError(`${where}: promptIds row ${b} is empty; every prompt needs ≥ 1 token.`);
  });
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 0) {
    throw new GenerateError(`${where}: maxNewTokens must be an integer ≥ 0, got ${o.maxNewTokens}.`);
  }
  const P = Math.max(...promptIds.map((r) => r.length));
  if (P + o.maxNewTokens > model.dims.maxPositions) {
    throw new GenerateError(
      `${where}: prompt length ${P} + maxNewTokens ${o.maxNewTokens} exceeds the model's ${model.dims.maxPositionsField} ${model.dims.maxPositions}; shorten the prompt or lower maxNewTokens.`,
    );
  }
  const temperature = o.temperature ?? 1;
  if (!(temperature > 0)) throw new GenerateError(`${where}: temperature must be > 0, got ${temperature}.`);
  const topP = o.topP ?? 1;
  if (!(topP > 0 && topP <= 1)) throw new GenerateError(`${where}: topP must be in (0, 1], got ${topP}.`);
  const topK = o.topK ?? 0;
  if (!Number.isInteger(topK) || topK < 0) throw new GenerateError(`${where}: topK must be an integer ≥ 0, got ${topK}.`);
  const eosIds = o.eosTokenId === undefined ? model.dims.eosTokenIds : ([] as number[]).concat(o.eosTokenId);
  const pad = o.padTokenId ?? model.dims.padTokenId ?? eosIds[0] ?? model.dims.eosTokenIds[0] ?? 0;
  const sampling: SamplingOptions = { doSample: o.doSample ?? true, temperature, topK, topP };
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 32);
  return { P, eos: new Set(eosIds), pad, sampling, seed, dedup: o.dedupPrompts ?? true };
}

/**
 * The distinct rows of `rows` by content: `distinct` holds the index of each one's first
 * occurrence (in row order) and `rowOf[b]` the position in `distinct` of row b's content.
 */
export function distinctRows(rows: readonly (readonly number[])[]): { distinct: number[]; rowOf: number[] } {
  const seen = new Map<string, number>();
  const distinct: number[] = [];
  const rowOf = rows.map((row, b) => {
    const key = row.join(',');
    let u = seen.get(key);
    if (u === undefined) {
      u = distinct.push(b) - 1;
      seen.set(key, u);
    }
    return u;
  });
  return { distinct, rowOf };
}

/**
 * The prompt forward: a cache of `capacity` positions holding the P = longest-prompt positions of
 * every row left-padded (the caller disposes it) and the last position's logits [rows · vocab].
 * With `dedup` and a repeated prompt, only the distinct prompts run and their cache rows and logits
 * are copied to every row; they are padded to the same P (the longest prompt is among them), so
 * every position sits in the same cache slot as without dedup. All rows distinct: the plain path.
 */
async function prefill(model: CausalTransformer, promptIds: number[][], pad: number, capacity: number, dedup: boolean): Promise<{ cache: KVCache; logits: Float32Array }> {
  const { distinct, rowOf } = dedup ? distinctRows(promptIds) : { distinct: [], rowOf: [] };
  const rows = dedup && distinct.length < promptIds.length ? distinct.map((b) => promptIds[b]) : promptIds;
  const { ids, mask } = leftPad(rows, pad);
  const cache = model.createCache(rows.length, capacity);
  let logits: Float32Array; // [rows · V]
  try {
    const out = model.forward(ids, { attentionMask: mask, pastKeyValues: cache, logits: 'last' });
    try {
      logits = (await (out.logits as tf.Tensor3D).data()) as Float32Array;
    } finally {
      out.logits?.dispose();
      out.hidden.dispose();
    }
    if (rows === promptIds) return { cache, logits };
  } catch (error) {
    cache.dispose();
    throw error;
  }
  try {
    const V = model.dims.vocabSize;
    const expanded = new Float32Array(promptIds.length * V); // [B · V]
    rowOf.forEach((u, b) => expanded.set(logits.subarray(u * V, (u + 1) * V), b * V));
    return { cache: KVCache.fromRows(cache, rowOf), logits: expanded };
  } finally {
    cache.dispose();
  }
}

/**
 * Lets pending macrotasks (signal handlers, timers) run, then throws the signal's reason if it is
 * aborted. A decode step is synchronous or resolves as a microtask, so without this a Ctrl-C
 * handler would run only after the whole generate call.
 */
async function stopIfAborted(signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  signal.throwIfAborted();
}

/** Observes generate from the inside (tests, diagnostics). */
export interface GenerateHooks {
  /** Each step's logits [B · vocab], before sampling; a buffer the next step may overwrite. */
  onLogits?: (step: number, logits: Float32Array) => void;
}

/**
 * Generates up to `maxNewTokens` tokens after each prompt. Same seed + same inputs → same tokens
 * (sampling draws from a mulberry32 stream seeded by `seed`; row order is fixed). With `native`
 * (prepared by the caller), the decode steps after the prefill run on the native engine; it is
 * released (`end()`) when generate returns or throws. With `options.signal`, an abort is noticed
 * before the prefill and between decode steps: generate then rejects with the signal's reason
 * (an 'AbortError' DOMException by default) and leaves no tensor behind.
 */
export async function generate(
  model: CausalTransformer,
  promptIds: number[][],
  options: GenerateOptions,
  native: NativeDecodeSession | null = null,
  hooks: GenerateHooks = {},
): Promise<GenerateOutput> {
  const { P, eos, pad, sampling, seed, dedup } = resolveOptions(model, promptIds, options);
  const B = promptIds.length;
  const rng = new Mulberry32(seed);
  const completionIds: number[][] = promptIds.map(() => []);
  const terminated: boolean[] = promptIds.map(() => false);
  const V = model.dims.vocabSize;
  if (options.maxNewTokens === 0) return { promptIds: promptIds.map((r) => [...r]), completionIds, terminated };

  const { mask } = leftPad(promptIds, pad); // [B, P], grows by one column per step
  const starts = promptIds.map((r) => P - r.length); // first real position of each row
  const capacity = P + options.maxNewTokens;
  const engine = native !== null && options.maxNewTokens > 1 ? native : null;
  let cache: KVCache | null = null;
  try {
    await stopIfAborted(options.signal);
    const first = await prefill(model, promptIds, pad, capacity, dedup);
    cache = first.cache;
    if (engine !== null) {
      engine.begin(cache, starts, capacity);
      cache.dispose(); // the engine holds its own copy from here on
    }
    let input: number[][] = [];
    for (let step = 0; step < options.maxNewTokens; step++) {
      let logits: Float32Array; // [B·V]
      if (step > 0) await stopIfAborted(options.signal);
      if (step === 0) {
        logits = first.logits;
      } else if (engine !== null) {
        // HF positions cumsum(mask) − 1: the row's real tokens so far, minus one.
        logits = engine.step(input.map((r) => r[0]), starts.map((s) => P - s + step - 1));
      } else {
        const out = model.forward(input, { attentionMask: mask, pastKeyValues: cache, logits: 'last' });
        logits = (await (out.logits as tf.Tensor3D).data()) as Float32Array;
        out.logits?.dispose();
        out.hidden.dispose();
      }
      hooks.onLogits?.(step, logits);
      const drawn = engine?.sample(logits, sampling, terminated, rng) ?? null; // all rows at once, same draws
      const next: number[] = [];
      for (let b = 0; b < B; b++) {
        if (terminated[b]) {
          next.push(pad);
          continue;
        }
        const token = drawn !== null ? drawn[b] : sampleToken(logits.subarray(b * V, (b + 1) * V), sampling, rng);
        completionIds[b].push(token);
        terminated[b] = eos.has(token);
        next.push(token);
      }
      if (terminated.every(Boolean)) break;
      for (const row of mask) row.push(1);
      input = next.map((t) => [t]);
    }
  } finally {
    cache?.dispose();
    native?.end();
  }
  return { promptIds: promptIds.map((r) => [...r]), completionIds, terminated };
}
