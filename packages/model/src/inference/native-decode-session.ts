/**
 * The port generate and the per-model slot (native-decode-slot.ts) drive a native decoder through;
 * NativeDecoderBase implements it for GPT-2 and the Llama family. It names no @grpojs/accel type,
 * so the published declarations that reach generate never require the optional package.
 */
import type { KVCache } from './kv-cache.js';
import type { Mulberry32, SamplingOptions } from './sampling.js';

export interface NativeDecodeSession {
  /** e.g. "avx2, 2 threads", for the log line. */
  readonly description: string;
  /** True from {@link prepare} to {@link end}: one generate call at a time owns the engine. */
  readonly busy: boolean;
  /** Copies this call's weights into the engine. */
  prepare(): void;
  /** Native bytes the engine holds and how many projections it keeps as NF4 codes. */
  memory(): { bytes: number; nf4Projections: number };
  /** Loads the prefill in `cache` for rows whose first real token is at `starts[b]`, room for `capacity` positions. */
  begin(cache: KVCache, starts: number[], capacity: number): void;
  /** One token per row at the next cache position; logits [batch · vocab], overwritten by the next step. */
  step(tokens: number[], positions: number[]): Float32Array;
  /** The rows' next tokens drawn on the engine (done rows: −1), or null when the options need sampleToken itself. */
  sample(logits: Float32Array, sampling: SamplingOptions, done: boolean[], rng: Mulberry32): Int32Array | null;
  /** Releases the engine for the next call. */
  end(): void;
  /** Frees the engine's native memory and threads. */
  dispose(): void;
}
