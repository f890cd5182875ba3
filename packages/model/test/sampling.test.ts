/** Host-side token selection: seeded PRNG, greedy, temperature, top-k and top-p as transformers' warpers. */
import { describe, expect, it } from 'vitest';
import { Mulberry32, argmax, sampleToken } from '../src/inference/sampling.js';

const counts = (logits: number[], options: Parameters<typeof sampleToken>[1], n: number, seed = 1): number[] => {
  const rng = new Mulberry32(seed);
  const c = new Array<number>(logits.length).fill(0);
  const row = Float32Array.from(logits);
  for (let i = 0; i < n; i++) c[sampleToken(row, options, rng)]++;
  return c;
};
const probsLogits = (p: number[]): number[] => p.map(Math.log);

describe('Mulberry32', () => {
  it('is deterministic per seed, uniform in [0, 1)', () => {
    const a = new Mulberry32(7);
    const b = new Mulberry32(7);
    const xs = Array.from({ length: 10000 }, () => a.next());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
    expect(new Mulberry32(8).next()).not.toBe(new Mulberry32(7).next());
  });
});

describe('sampleToken', () => {
  it('greedy is the first argmax', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(sampleToken(Float32Array.from([0, 5, 1]), { doSample: false, temperature: 1, topK: 0, topP: 1 }, new Mulberry32(1))).toBe(1);
  });

  it('samples softmax(logits / temperature)', () => {
    const p = [0.1, 0.2, 0.3, 0.4];
    const n = 40000;
    const plain = counts(probsLogits(p), { doSample: true, temperature: 1, topK: 0, topP: 1 }, n);
    plain.forEach((c, i) => expect(c / n).toBeCloseTo(p[i], 1));
    // temperature 0.5 squares the probabilities (renormalized)
    const hot = counts(probsLogits(p), { doSample: true, temperature: 0.5, topK: 0, topP: 1 }, n);
    const z = p.reduce((s, x) => s + x * x, 0);
    hot.forEach((c, i) => expect(Math.abs(c / n - (p[i] * p[i]) / z)).toBeLessThan(0.015));
  });

  it('top-k keeps the k largest, renormalized', () => {
    const c = counts(probsLogits([0.1, 0.2, 0.3, 0.4]), { doSample: true, temperature: 1, topK: 2, topP: 1 }, 20000);
    expect(c[0] + c[1]).toBe(0);
    expect(c[3] / (c[2] + c[3])).toBeCloseTo(4 / 7, 1);
  });

  it('top-p drops the tail whose cumulative probability is ≤ 1 − topP (transformers semantics)', () => {
    const logits = probsLogits([0.2, 0.3, 0.5]);
    const only = counts(logits, { doSample: true, temperature: 1, topK: 0, topP: 0.5 }, 2000);
    expect(only).toEqual([0, 0, 2000]); // ascending cumsum 0.2, 0.5 ≤ 0.5: both dropped
    const two = counts(logits, { doSample: true, temperature: 1, topK: 0, topP: 0.6 }, 20000);
    expect(two[0]).toBe(0);
    expect(two[2] / 20000).toBeCloseTo(0.5 / 0.8, 1);
  });
});
