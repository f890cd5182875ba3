/**
 * The "generate" phase: tokenize prompts (left-truncated to maxPromptLength, as TRL keeps the end
 * of a long prompt), repeat each numGenerations times, sample completions, decode them.
 */
import { GRPOTrainerError } from './errors.js';
import type { PolicyGenerateOptions, PolicyModel } from './policy-model.js';
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

/** Generates numGenerations completions for each row of `rows` in one batched call. */
export async function generateRollout(
  model: PolicyModel,
  tokenizer: TrainerTokenizer,
  rows: readonly DatasetRow[],
  options: RolloutOptions,
): Promise<Rollout> {
  const G = options.numGenerations;
  const expanded = rows.flatMap((row) => Array.from({ length: G }, () => row));
  const promptIds = rows.flatMap((row) => {
    const ids = encodePrompt(tokenizer, row.prompt, options.maxPromptLength);
    return Array.from({ length: G }, () => ids);
  });
  const generateOptions: PolicyGenerateOptions = {
    maxNewTokens: options.maxCompletionLength,
    eosTokenId: tokenizer.eosTokenId,
    padTokenId: tokenizer.padTokenId,
    doSample: options.sampling !== null,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  if (options.sampling) {
    generateOptions.temperature = options.sampling.temperature;
    generateOptions.topP = options.sampling.topP;
    generateOptions.topK = options.sampling.topK ?? 0;
    generateOptions.seed = options.sampling.seed;
  }
  const out = await model.generate(promptIds, generateOptions);
  if (out.completionIds.length !== expanded.length || out.terminated.length !== expanded.length) {
    throw new GRPOTrainerError(
      `model.generate returned ${out.completionIds.length} completions for ${expanded.length} rows; a PolicyModel must return one per prompt row.`,
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
