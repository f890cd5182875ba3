import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { samplingCorrection, type SamplingCorrectionMode } from '../../src/rollout/is-correction.js';
import { weightPolicyTerm } from '../../src/rollout/sampling-weight.js';

// Golden values from fixtures/make_is_correction_fixtures.py (PyTorch, float64, TRL v1.9.0's formulas).
const ref = JSON.parse(readFileSync(new URL('../fixtures/is-correction.json', import.meta.url), 'utf8')) as {
  lengths: number[];
  keep: number[];
  old: number[][];
  sampler: number[][];
  cases: { mode: SamplingCorrectionMode; min: number | null; max: number | null; ratios: number[][]; metrics: Record<string, number> }[];
  weighted: { beta: number; shape: [number, number]; policy: number[]; kl: number[]; rho: number[]; loss: number[] };
};
const mask = ref.lengths.map((n, i) => Array.from({ length: n }, () => ref.keep[i]));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('samplingCorrection (torch reference)', () => {
  for (const c of ref.cases) {
    it(`${c.mode} in [${c.min}, ${c.max}]: per-token ratios and TRL's sampling/* metrics match to 1e-12`, () => {
      const out = samplingCorrection(ref.old, ref.sampler, mask, c.mode, { min: c.min, max: c.max });
      expect(out.ratios.map((r) => r.length)).toEqual(ref.lengths);
      out.ratios.forEach((row, i) => row.forEach((r, t) => expect(Math.abs(r - c.ratios[i][t])).toBeLessThan(1e-12)));
      expect(Object.keys(out.metrics).sort()).toEqual(Object.keys(c.metrics).sort());
      for (const [k, v] of Object.entries(c.metrics)) expect(Math.abs(out.metrics[k] - v), k).toBeLessThan(1e-12);
    });
  }

  it('the fixture exercises both bounds: truncation clips to them and masking zeroes outside them', () => {
    const find = (mode: SamplingCorrectionMode, min: number | null, max: number | null) => ref.cases.find((c) => c.mode === mode && c.min === min && c.max === max)!;
    const metric = (c: (typeof ref.cases)[number], k: 'min' | 'max') => c.metrics[`sampling/importance_sampling_ratio/${k}`];
    for (const mode of ['token_truncate', 'sequence_truncate'] as const) {
      expect(metric(find(mode, null, 1.5), 'max')).toBe(1.5);
      expect(metric(find(mode, null, 1.5), 'min')).toBeLessThan(0.5);
      expect(metric(find(mode, 0.5, 1.5), 'min')).toBe(0.5);
      expect(metric(find(mode, 0.5, null), 'max')).toBeGreaterThan(1.5);
    }
    for (const mode of ['token_mask', 'sequence_mask'] as const) {
      // Masking at the lower bound zeroes more: the mean drops from (−, 1.5] to [0.5, 1.5].
      expect(metric(find(mode, null, 1.5), 'min')).toBe(0);
      expect(find(mode, 0.5, 1.5).metrics['sampling/importance_sampling_ratio/mean']).toBeLessThan(find(mode, null, 1.5).metrics['sampling/importance_sampling_ratio/mean']);
    }
  });

  it('identical log-probs give ratio 1 everywhere and zero differences', () => {
    const out = samplingCorrection(ref.old, ref.old, mask, 'sequence_mask', { min: null, max: 3 });
    out.ratios.flat().forEach((r) => expect(r).toBe(1));
    expect(out.metrics['sampling/sampling_logp_difference/max']).toBe(0);
  });

  it('refuses mismatched rows, a bad mode and bad bounds, naming them', () => {
    const b = { min: null, max: 3 };
    expect(() => samplingCorrection(ref.old, ref.sampler.slice(1), mask, 'token_mask', b)).toThrow(/sampler rows/);
    expect(() => samplingCorrection(ref.old, [ref.sampler[0].slice(1), ...ref.sampler.slice(1)], mask, 'token_mask', b)).toThrow(/row 0/);
    expect(() => samplingCorrection(ref.old, ref.sampler, mask, 'tokens' as SamplingCorrectionMode, b)).toThrow(/mode "tokens"/);
    expect(() => samplingCorrection(ref.old, ref.sampler, mask, 'token_mask', { min: -1, max: 3 })).toThrow(/bounds\.min must be/);
    expect(() => samplingCorrection(ref.old, ref.sampler, mask, 'token_mask', { min: 2, max: 2 })).toThrow(/bounds\.min \(2\) must be less than bounds\.max \(2\)/);
    expect(() => samplingCorrection(ref.old, ref.sampler, mask, 'sequence_truncate', { min: null, max: null })).toThrow(/"sequence_truncate" needs bounds/);
    // A mask mode without bounds keeps every ratio (TRL allows it).
    const free = samplingCorrection(ref.old, ref.sampler, mask, 'token_mask', { min: null, max: null });
    free.ratios.forEach((row, i) => row.forEach((r, t) => expect(r).toBeCloseTo(Math.exp((ref.old[i][t] - ref.sampler[i][t]) * ref.keep[i]), 12)));
  });
});

describe('weightPolicyTerm', () => {
  it('weights the policy term by ρ and adds β·KL unweighted (torch reference, float32 tolerance 1e-6)', () => {
    const w = ref.weighted;
    const t = (a: number[]) => tf.tensor2d(a, w.shape);
    const loss = tf.tidy(() => {
      const kl = t(w.kl);
      const perToken = tf.add(t(w.policy), tf.mul(w.beta, kl)) as tf.Tensor2D; // what perTokenLoss returns
      return weightPolicyTerm(perToken, kl, w.beta, t(w.rho));
    });
    const got = loss.dataSync();
    w.loss.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-6));
    loss.dispose();
  });

  it('without KL it is the product', () => {
    const got = tf.tidy(() => weightPolicyTerm(tf.tensor2d([[1, -2]]), null, 0, tf.tensor2d([[0.5, 3]])).arraySync());
    expect(got).toEqual([[0.5, -6]]);
  });
});
