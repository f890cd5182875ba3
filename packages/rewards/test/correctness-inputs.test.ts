/** correctnessReward's input errors, word for word, and the error class's name. */
import { describe, expect, it } from 'vitest';
import { RewardInputError, correctnessReward } from '../src/index.js';
import type { RewardContext } from '../src/index.js';
import { ctxFor } from './helpers.js';

const HINT =
  'Give the dataset an `answer` column holding the gold answer of each row (for GSM8K: extractHashAnswer(row.answer), the text after "####").';

describe('correctnessReward input errors', () => {
  it('no context at all: ctx.answer is missing', () => {
    expect(() => correctnessReward(['x'], undefined as unknown as RewardContext)).toThrow(
      new RewardInputError(`correctnessReward: ctx.answer is missing. ${HINT}`),
    );
  });

  it('ctx.answer that is not an array', () => {
    const ctx = { ...ctxFor(1), answer: '72' } as unknown as RewardContext;
    expect(() => correctnessReward(['x'], ctx)).toThrow(new RewardInputError(`correctnessReward: ctx.answer must be an array of strings, got string. ${HINT}`));
  });

  it('ctx.answer of another length', () => {
    expect(() => correctnessReward(['x', 'y'], ctxFor(2, ['72']))).toThrow(
      new RewardInputError(
        "correctnessReward: ctx.answer has 1 entries but there are 2 completions; pass one gold answer per completion (repeat each row's answer for every completion of its group).",
      ),
    );
  });

  it('is a RewardInputError by name too (what logs and JSON show)', () => {
    expect(new RewardInputError('m').name).toBe('RewardInputError');
  });
});
