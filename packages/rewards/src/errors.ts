/** The error the reward functions throw on malformed input, and the checks that raise it. */

/** Bad input to a reward function; the message names the argument and says what to pass. */
export class RewardInputError extends Error {
  override name = 'RewardInputError';
}

/** Throws unless `completions` is an array of strings. */
export function checkCompletions(fn: string, completions: unknown): asserts completions is string[] {
  if (!Array.isArray(completions)) {
    throw new RewardInputError(`${fn}: \`completions\` must be an array of strings (one decoded completion per row), got ${typeof completions}.`);
  }
  for (let i = 0; i < completions.length; i++) {
    if (typeof completions[i] !== 'string') {
      throw new RewardInputError(`${fn}: completions[${i}] must be a string (the decoded completion), got ${typeof completions[i]}.`);
    }
  }
}
