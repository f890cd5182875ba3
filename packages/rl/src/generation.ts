/**
 * The "generate" phase: tokenize prompts (left-truncated to maxPromptLength, as TRL keeps the end
 * of a long prompt), repeat each numGenerations times, sample completions, decode them.
 */
import { GRPOTrainerError } from './errors.js';
import type { PolicyModel } from './policy-model.js';
import type { RolloutBackend } from './rollout/backend.js';
import { LocalRollout } from './rollout/local.js';
import { rowColumns, type DatasetRow, type TrainerTokenizer } from './types.js';

/** Sampled completions of a set of prompts, one entry per row (prompt × generation). */
export interface Rollout {
  /** Prompt text of each row. */
  prompts: string[];
  /** Truncated prompt ids of each row. */
  promptIds: number[][];
  /** Generated ids of each row, up to and including the first EOS. */
  completionIds: number[][];
  /** Decoded completions (special tokens skipped). */
  completions: string[];
  /** True when the row ended with EOS (not cut at maxCompletionLength). */
  terminated: boolean[];
  /** Dataset columns other than `prompt`, one entry per row. */
  columns: Record<string, unknown[]>;
  /** Per row, the sampler's log-prob of each completion token; absent when the trained model sampled (local). */
  samplerLogProbs?: number[][];
}

/** Sampling settings of one generate call. */
export interface RolloutOptions {
  numGenerations: number;
  maxPromptLength: number | null;
  maxCompletionLength: number;
  /** null = greedy decoding (evaluation). */
  sampling: { temperature: number; topP: number; topK: number | null; seed: number } | null;
  /** Passed to model.generate: an abort rejects the rollout (see PolicyGenerateOptions.signal). */
  signal?: AbortSignal;
}

/** Tokenizes a prompt and keeps its last maxPromptLength tokens. */
export function encodePrompt(tokenizer: TrainerTokenizer, prompt: string, maxPromptLength: number | null): number[] {
  const ids = tokenizer.encode(prompt);
  if (ids.length === 0) {
    throw new GRPOTrainerError(`A prompt encodes to zero tokens (prompt: ${JSON.stringify(prompt.slice(0, 80))}); remove empty prompts from the dataset.`);
  }
  return maxPromptLength !== null && ids.length > maxPromptLength ? ids.slice(ids.length - maxPromptLength) : ids;
}

/** Generates numGenerations completions for each row of `rows` in one batched call of the model itself. */
export async function generateRollout(
  model: PolicyModel,
  tokenizer: TrainerTokenizer,
  rows: readonly DatasetRow[],
  options: RolloutOptions,
): Promise<Rollout> {
  return sampleRollout(new LocalRollout(model), tokenizer, rows, options);
}

/** Samples numGenerations completions for each row of `rows` with one call of `backend` (local or server). */
export async function sampleRollout(
  backend: RolloutBackend,
  tokenizer: TrainerTokenizer,
  rows: readonly DatasetRow[],
  options: RolloutOptions,
): Promise<Rollout> {
  const G = options.numGenerations;
  const expanded = rows.flatMap((row) => Array.from({ length: G }, () => row));
  const prompts = rows.map((row) => encodePrompt(tokenizer, row.prompt, options.maxPromptLength));
  const promptIds = prompts.flatMap((ids) => Array.from({ length: G }, () => ids));
  const out = await backend.sample({
    promptIds: prompts,
    numGenerations: G,
    maxNewTokens: options.maxCompletionLength,
    eosTokenId: tokenizer.eosTokenId,
    padTokenId: tokenizer.padTokenId,
    sampling: options.sampling,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (out.completionIds.length !== expanded.length || out.terminated.length !== expanded.length) {
    throw new GRPOTrainerError(
      `The ${backend.kind} rollout returned ${out.completionIds.length} completions for ${expanded.length} rows; a PolicyModel must return one per prompt row.`,
    );
  }
  const columns: Record<string, unknown[]> = {};
  for (const key of Object.keys(rows[0] ?? {})) {
    if (key !== 'prompt') columns[key] = expanded.map((row) => rowColumns(row)[key]);
  }
  return {
    prompts: expanded.map((row) => row.prompt),
    promptIds,
    completionIds: out.completionIds,
    completions: out.completionIds.map((ids) => tokenizer.decode(ids, { skipSpecialTokens: true })),
    terminated: out.terminated,
    columns,
    ...(out.samplerLogProbs ? { samplerLogProbs: out.samplerLogProbs } : {}),
  };
}

/** Concatenates rollouts row-wise (micro-batches → generation batch). */
export function concatRollouts(parts: readonly Rollout[]): Rollout {
  const columns: Record<string, unknown[]> = {};
  for (const key of Object.keys(parts[0]?.columns ?? {})) columns[key] = parts.flatMap((p) => p.columns[key] ?? []);
  return {
    prompts: parts.flatMap((p) => p.prompts),
    promptIds: parts.flatMap((p) => p.promptIds),
    completionIds: parts.flatMap((p) => p.completionIds),
    completions: parts.flatMap((p) => p.completions),
    terminated: parts.flatMap((p) => p.terminated),
    columns,
  };
}
