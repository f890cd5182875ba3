/** Shared test helpers: a RewardContext for a batch, and the strict completion layout. */
import type { RewardContext } from '../src/index.js';

/** A context for `n` completions, with `answer` set when golds are given. */
export function ctxFor(n: number, answer?: unknown[]): RewardContext {
  const ctx: RewardContext = { prompts: Array(n).fill('q'), completionIds: Array.from({ length: n }, () => []) };
  if (answer !== undefined) ctx.answer = answer;
  return ctx;
}

/** "<reasoning>\nR\n</reasoning>\n<answer>\nA\n</answer>\n" with the given newline. */
export function strict(reasoning: string, answer: string, nl = '\n'): string {
  return `<reasoning>${nl}${reasoning}${nl}</reasoning>${nl}<answer>${nl}${answer}${nl}</answer>${nl}`;
}

/** `n` distinct words w0 … w(n-1) joined by `sep`. */
export function words(n: number, sep = ' '): string {
  return Array.from({ length: n }, (_, i) => `w${i}`).join(sep);
}
