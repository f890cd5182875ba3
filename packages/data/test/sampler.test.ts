import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataError, EpochSampler, epochSeed, mulberry32, permutation } from '../src/index.js';

// Written by fixtures/make_fixtures.py, an independent Python implementation of the same algorithm.
const reference = JSON.parse(readFileSync(new URL('./fixtures/sampler-reference.json', import.meta.url), 'utf8')) as {
  mulberry32_seed42_first5: number[];
  epoch_seeds: [number, number, number][];
  permutations: { n: number; seed: number; epoch: number; order: number[] }[];
};

describe('shuffle algorithm matches the Python reimplementation', () => {
  it('mulberry32 stream', () => {
    const rng = mulberry32(42);
    expect(Array.from({ length: 5 }, () => rng())).toEqual(reference.mulberry32_seed42_first5);
  });
  it('epoch seeds', () => {
    for (const [seed, epoch, expected] of reference.epoch_seeds) expect(epochSeed(seed, epoch)).toBe(expected);
  });
  it('permutations', () => {
    for (const { n, seed, epoch, order } of reference.permutations) expect(permutation(n, seed, epoch)).toEqual(order);
  });
});

describe('permutation', () => {
  it('is a permutation, deterministic per (seed, epoch), different across epochs and seeds', () => {
    const a = permutation(1000, 42, 0);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(permutation(1000, 42, 0)).toEqual(a);
    expect(permutation(1000, 42, 1)).not.toEqual(a);
    expect(permutation(1000, 43, 0)).not.toEqual(a);
  });
  it('is roughly uniform: each position takes each value about equally often', () => {
    // 4 items, 2400 epochs: every (position, value) cell expects 600; a biased shuffle misses by far more.
    const counts = Array.from({ length: 4 }, () => [0, 0, 0, 0]);
    for (let epoch = 0; epoch < 2400; epoch++) permutation(4, 1, epoch).forEach((v, pos) => counts[pos][v]++);
    for (const row of counts) for (const c of row) expect(Math.abs(c - 600)).toBeLessThan(90);
  });
  it('rejects bad arguments, naming them', () => {
    expect(() => permutation(-1, 0, 0)).toThrow(/n must be an integer/);
    expect(() => permutation(3, 1.5, 0)).toThrow(/seed must be an integer/);
    expect(() => permutation(3, 0, -1)).toThrow(/epoch must be an integer/);
  });
});

describe('EpochSampler', () => {
  const items = Array.from({ length: 7 }, (_, i) => `row${i}`);

  it('visits every row once per epoch, in the epoch permutation', () => {
    const sampler = new EpochSampler(items, { seed: 5 });
    const first = sampler.take(7);
    expect(first.map((s) => s.row)).toEqual(permutation(7, 5, 0));
    expect(first.map((s) => s.item)).toEqual(permutation(7, 5, 0).map((i) => items[i]));
    expect(first.every((s) => s.epoch === 0)).toBe(true);
    expect(sampler.state).toEqual({ epoch: 0, index: 7 });
    expect(sampler.progress).toBe(1);
    const second = sampler.take(7);
    expect(second.map((s) => s.row)).toEqual(permutation(7, 5, 1));
    expect(second.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('resumes exactly from a saved state', () => {
    const uninterrupted = new EpochSampler(items, { seed: 9 }).take(30).map((s) => s.row);
    const head = new EpochSampler(items, { seed: 9 });
    const before = head.take(11).map((s) => s.row);
    const saved = JSON.parse(JSON.stringify(head.state)) as { epoch: number; index: number };
    expect(saved).toEqual({ epoch: 1, index: 4 });
    const after = new EpochSampler(items, { seed: 9, state: saved }).take(19).map((s) => s.row);
    expect([...before, ...after]).toEqual(uninterrupted);
  });

  it('stops after `epochs`, keeps order without shuffle, and works with for…of', () => {
    const ordered = [...new EpochSampler(items, { shuffle: false, epochs: 2 })].map((s) => s.row);
    expect(ordered).toEqual([0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6]);
    const sampler = new EpochSampler(items, { epochs: 1 });
    expect(sampler.take(10)).toHaveLength(7);
    expect(sampler.next().done).toBe(true);
  });

  it('rejects empty data and states from another dataset', () => {
    expect(() => new EpochSampler([])).toThrow(DataError);
    expect(() => new EpochSampler(items, { state: { epoch: 0, index: 8 } })).toThrow(/state.index 8 exceeds the 7 rows/);
    expect(() => new EpochSampler(items, { epochs: 0 })).toThrow(/epochs must be an integer/);
  });
});
