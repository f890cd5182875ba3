/**
 * The small structural types the trainer needs from its collaborators besides the model (whose
 * port is policy-model.ts). They are subsets of what @grpojs/model and @grpojs/data provide, so
 * any tokenizer or dataset that has these members can be used.
 */

/** What the trainer needs of a tokenizer (a subset of @grpojs/model's TextTokenizer). */
export interface TrainerTokenizer {
  encode(text: string): number[];
  decode(ids: number[], options?: { skipSpecialTokens?: boolean }): string;
  eosTokenId: number;
  padTokenId: number;
}

/**
 * What the trainer accepts as a dataset row: the prompt text plus any columns (e.g. GSM8K's
 * `answer`, the gold final answer). Every own property except `prompt` reaches the reward
 * functions through their context. No index signature, so typed rows such as @grpojs/data's
 * Gsm8kExample fit as they are.
 */
export interface DatasetRow {
  prompt: string;
  /** The gold final answer, when the dataset has one (evaluation accuracy compares against it). */
  answer?: unknown;
}

/** A dataset row built by hand: the prompt plus any named columns. */
export interface PromptRow extends DatasetRow {
  [column: string]: unknown;
}

/** The columns of a row as a plain record. */
export function rowColumns(row: DatasetRow): Record<string, unknown> {
  return row as unknown as Record<string, unknown>;
}
