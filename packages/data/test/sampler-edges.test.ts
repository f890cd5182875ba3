/**
 * EpochSampler and holdOut at their edges: each bad argument named in its error, a state saved at
 * the very end of an epoch, a holdout of exactly 1 row, and the documented holdout epoch.
 */
import { describe, expect, it } from 'vitest';
import { DataError, EpochSampler, HOLDOUT_EPOCH, holdOut } from '../src/index.js';

describe('EpochSampler edges', () => {
  it('names each bad argument', () => {
    expect(() => new EpochSampler([])).toThrow(new DataError('EpochSampler: items is empty; load at least one row.'));
    expect(() => new EpochSampler([1], { seed: -1 })).toThrow(new DataError('seed must be an integer ≥ 0, got -1.'));
    expect(() => new EpochSampler([1], { state: { epoch: 0.5, index: 0 } })).toThrow(new DataError('state.epoch must be an integer ≥ 0, got 0.5.'));
    expect(() => new EpochSampler([1], { state: { epoch: 0, index: -1 } })).toThrow(new DataError('state.index must be an integer ≥ 0, got -1.'));
    expect(() => new EpochSampler([1]).take(-1)).toThrow(new DataError('n must be an integer ≥ 0, got -1.'));
  });

  it('resumes from a state saved at the end of an epoch: the next row opens the next epoch', () => {
    const sampler = new EpochSampler(['a', 'b'], { seed: 3, state: { epoch: 0, index: 2 } });
    expect(sampler.progress).toBe(1);
    const [next] = sampler.take(1);
    expect(next).toMatchObject({ epoch: 1, index: 0 });
  });
});

describe('holdOut edges', () => {
  it('a size of exactly 1 holds out one row (a count, not the whole fraction)', () => {
    const { train, eval: held } = holdOut(5, 1, 0);
    expect(held).toHaveLength(1);
    expect(train).toHaveLength(4);
  });

  it('uses epoch 2^31 − 1, the value other implementations must use to reproduce it', () => {
    expect(HOLDOUT_EPOCH).toBe(2147483647);
  });
});
