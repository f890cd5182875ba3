/**
 * The port through which the trainer's "generate" phase gets its samples: in process (local.ts,
 * the default) or from OpenAI-compatible inference servers (server.ts: vLLM, SGLang, grpojs serve).
 * The trainer calls syncPolicy before each generation batch, then sample once for the whole batch.
 */

/** One sampling call: every prompt of a generation batch, each sampled numGenerations times. */
export interface SampleRequest {
  /** One entry per prompt (not repeated), already truncated to maxPromptLength. */
  promptIds: number[][];
  /** Completions per prompt (the group size G). */
  numGenerations: number;
  maxNewTokens: number;
  eosTokenId: number;
  padTokenId: number;
  /** null = greedy decoding. */
  sampling: { temperature: number; topP: number; topK: number | null; seed: number } | null;
  /** An abort rejects the call (with the signal's reason). */
  signal?: AbortSignal;
}

/** What a backend returns: rows prompt-major (prompt i's G samples at rows iG … iG+G−1). */
export interface SampleResult {
  /** Generated ids of each row, up to and including the first EOS. */
  completionIds: number[][];
  /** True when the row ended with EOS, false when cut at maxNewTokens. */
  terminated: boolean[];
  /**
   * Per row, the sampler's log-prob of each generated token (one per completion id), or null when
   * the sampler is the trained model itself (local), so no importance-sampling correction applies.
   */
  samplerLogProbs: number[][] | null;
}

/** Where completions are sampled. */
export interface RolloutBackend {
  /** "local" or "server", for logs. */
  readonly kind: string;
  /**
   * Makes the policy after `version` optimizer steps the one that samples next; resolves once
   * every sampler has it. Local sampling uses the live weights, so it does nothing.
   */
  syncPolicy(version: number, signal?: AbortSignal): Promise<void>;
  sample(request: SampleRequest): Promise<SampleResult>;
  /** Releases what the backend holds (server: unloads its adapters, removes their folders). */
  close(): Promise<void>;
}
