/**
 * holdOut: the seeded eval rows taken from data that has no separate eval split. Deterministic,
 * disjoint from the training rows, sized like datasets' train_test_split (a fraction rounds up).
 */
import { describe, expect, it } from 'vitest';
import { DataError, HOLDOUT_EPOCH, holdOut, permutation } from '../src/index.js';

describe('holdOut', () => {
  it('splits 0…n−1 into disjoint ascending train and eval indices that cover every row', () => {
    const { train, eval: held } = holdOut(20, 0.25, 42);
    expect(held).toHaveLength(5);
    expect(train).toHaveLength(15);
    expect([...train, ...held].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(train).toEqual([...train].sort((a, b) => a - b));
    expect(held).toEqual([...held].sort((a, b) => a - b));
  });

  it('is the first k rows of the documented permutation (seed, epoch HOLDOUT_EPOCH), so any language can reproduce it', () => {
    const expected = permutation(50, 7, HOLDOUT_EPOCH).slice(0, 4).sort((a, b) => a - b);
    expect(holdOut(50, 4, 7).eval).toEqual(expected);
    expect(holdOut(50, 4, 7)).toEqual(holdOut(50, 4, 7));
    expect(holdOut(50, 4, 8).eval).not.toEqual(expected);
  });

  it('a fraction rounds up (at least one eval row); an integer ≥ 1 is a count', () => {
    expect(holdOut(10, 0.01, 0).eval).toHaveLength(1);
    expect(holdOut(10, 0.15, 0).eval).toHaveLength(2);
    expect(holdOut(10, 3, 0).eval).toHaveLength(3);
  });

  it('refuses sizes that leave no training row or are not a fraction or a count', () => {
    expect(() => holdOut(4, 4, 0)).toThrow(DataError);
    expect(() => holdOut(4, 0.99, 0)).toThrow(/leaves no training row/);
    expect(() => holdOut(4, 1.5, 0)).toThrow(/fraction in \(0, 1\) or a whole number/);
    expect(() => holdOut(4, 0, 0)).toThrow(DataError);
  });
});
