/**
 * The small structural types the trainer needs from its collaborators. They are subsets of what
 * @grpojs/model and @grpojs/data provide, so any model family or dataset that has these members
 * can be trained.
 */

/** What the trainer needs of a tokenizer (a subset of @grpojs/model's TextTokenizer). */
export interface TrainerTokenizer {
  encode(text: string): number[];
  decode(ids: number[], options?: { skipSpecialTokens?: boolean }): string;
  eosTokenId: number;
  padTokenId: number;
}

/**
 * One dataset row: the prompt text plus any columns (e.g. GSM8K's `answer`, the gold final
 * answer). Every column except `prompt` reaches the reward functions through their context.
 */
export interface PromptRow {
  prompt: string;
  [column: string]: unknown;
}
