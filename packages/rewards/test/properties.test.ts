/**
 * Property tests (fast-check): no reward throws on arbitrary text, including full Unicode and
 * tag soups, and every value stays in the range the spec allows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultRewards, extractEvalPrediction, extractXmlAnswer } from '../src/index.js';
import { ctxFor } from './helpers.js';

const TAGS = ['<reasoning>', '</reasoning>', '<answer>', '</answer>', '<final_answer>', '</final_answer>'];
const PIECES = [...TAGS, '\n', '\r\n', ' ', '\u0085', '\ufeff', '\u3000', 'Σ', 'İ', '²', '72', 'then', 'First', '_'];

/** Full-Unicode strings, and soups of tags, newlines, odd whitespace and keywords. */
const completion = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: 'binary', maxLength: 5 })), { maxLength: 60 }).map((p) => p.join('')),
);

const RANGES: Record<string, (v: number) => boolean> = {
  correctness: (v) => v === 0 || (v >= 1.8 && v <= 2.0),
  format: (v) => v === 0 || v === 0.5,
  strict_format: (v) => v === 0 || v === 0.5,
  numeric: (v) => v === 0 || v === 0.5,
  conciseness: (v) => v >= -0.5 && v <= 0,
  repetition: (v) => v === 0 || v === -0.25 || v === -0.5,
  cot_clarity: (v) => v >= 0 && v <= 0.5,
};

describe('properties', () => {
  it('no reward throws and every value is in its range (never -0)', () => {
    fc.assert(
      fc.property(fc.array(completion, { minLength: 1, maxLength: 4 }), completion, (completions, gold) => {
        const ctx = ctxFor(completions.length, completions.map(() => gold));
        for (const reward of defaultRewards) {
          for (const v of reward(completions, ctx)) {
            expect(RANGES[reward.rewardName](v), `${reward.rewardName} = ${v}`).toBe(true);
            expect(Object.is(v, -0)).toBe(false);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a completion scored against its own answer gets the full correctness reward', () => {
    fc.assert(
      fc.property(completion, (c) => {
        expect(defaultRewards[0]([c], ctxFor(1, [extractXmlAnswer(c)]))[0]).toBe(2.0);
      }),
      { numRuns: 300 },
    );
  });

  it('the eval prediction never contains its closing tag or surrounding whitespace', () => {
    fc.assert(
      fc.property(completion, (c) => {
        const p = extractEvalPrediction(c);
        // The prediction comes from a complete <final_answer> pair when there is one, else from the
        // last <answer> pair; either way it never holds the closing tag of the pair it came from
        // (it may hold the other tag: "<answer></final_answer></answer>" predicts "</final_answer>").
        if (/<final_answer>[\s\S]*?<\/final_answer>/.test(c)) expect(p.includes('</final_answer>')).toBe(false);
        else expect(p.includes('</answer>')).toBe(false);
        expect(p === '' || !/^[ \n\r\t]|[ \n\r\t]$/.test(p)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
