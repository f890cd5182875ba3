/**
 * Top-k and top-p sampling against an independent torch rewrite of transformers' logits warpers
 * (fixtures/make_sampling_filter_fixtures.py → sampling-filters.json): for every token the torch
 * distribution keeps, the uniform draw at the middle of its cumulative-probability interval (index
 * order, as sampleToken walks the vocabulary) must pick exactly that token. A token kept or dropped
 * wrongly moves the intervals, so the draws land on other tokens.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Mulberry32, sampleToken } from '../src/inference/sampling.js';

interface FilterCase {
  temperature: number;
  topK: number;
  topP: number;
  logits: number[];
  probs: number[];
}
const { cases } = JSON.parse(readFileSync(new URL('./fixtures/sampling-filters.json', import.meta.url), 'utf8')) as { cases: FilterCase[] };

/** An rng whose next draw is `u`. */
const fixed = (u: number) => ({ next: () => u }) as unknown as Mulberry32;

describe('sampleToken top-k / top-p vs transformers\' warpers (torch)', () => {
  for (const c of cases) {
    it(`temperature ${c.temperature}, topK ${c.topK}, topP ${c.topP}: ${c.probs.filter((p) => p > 0).length} of ${c.probs.length} tokens kept, each drawn where torch puts it`, () => {
      const logits = Float32Array.from(c.logits);
      const options = { doSample: true, temperature: c.temperature, topK: c.topK, topP: c.topP };
      let before = 0;
      c.probs.forEach((p, token) => {
        if (p > 1e-3) expect(sampleToken(logits, options, fixed(before + p / 2)), `u in token ${token}'s interval`).toBe(token);
        before += p;
      });
      // Draws near 0 and 1 land on the first and last kept tokens.
      const kept = c.probs.flatMap((p, i) => (p > 0 ? [i] : []));
      expect(sampleToken(logits, options, fixed(1e-9))).toBe(kept[0]);
      expect(sampleToken(logits, options, fixed(1 - 1e-9))).toBe(kept[kept.length - 1]);
    });
  }
});
