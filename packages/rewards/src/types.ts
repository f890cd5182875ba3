/**
 * The one signature every reward function has; the GRPO trainer calls it once per batch.
 *
 * `completions[i]` is the decoded completion of row i. `ctx` carries the prompts, the completion
 * token ids and every dataset column of each row (e.g. `ctx.answer[i]` for GSM8K).
 * A value of `null` means "not applicable" for that row (the trainer treats it as NaN).
 */
export interface RewardContext {
  prompts: string[];
  completionIds: number[][];
  /** Dataset columns, one entry per row (e.g. `answer`, `question`). */
  [column: string]: unknown[];
}

export type RewardValues = number[] | (number | null)[];

export type RewardFunction = ((
  completions: string[],
  ctx: RewardContext,
) => RewardValues | Promise<RewardValues>) & {
  /** Name used in metrics (`rewards/<name>/mean`); falls back to the function's `name`. */
  rewardName?: string;
};
