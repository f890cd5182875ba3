/**
 * The public surface: defaultRewards (order, names), batches, the error messages, the spec's
 * total range, and the GSM8K helpers (gold extraction, evaluation prediction, exact match).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  correctnessReward,
  defaultRewards,
  extractEvalPrediction,
  extractHashAnswer,
  formatReward,
  isExactMatch,
  RewardInputError,
} from '../src/index.js';
import type { RewardFunction } from '../src/index.js';
import { haveSharedAssets, sharedAsset } from '../../../vitest.shared-assets.js';
import { ctxFor, strict, words } from './helpers.js';

const total = (completion: string, gold: string) =>
  defaultRewards.reduce((sum, reward) => sum + reward([completion], ctxFor(1, [gold]))[0], 0);

describe('defaultRewards', () => {
  it('holds the seven rewards in the reference order with their metric and function names', () => {
    expect(defaultRewards.map((r) => r.rewardName)).toEqual([
      'correctness', 'format', 'strict_format', 'numeric', 'conciseness', 'repetition', 'cot_clarity',
    ]);
    expect(defaultRewards.map((r) => r.name)).toEqual([
      'correctnessReward', 'formatReward', 'strictFormatReward', 'numericReward',
      'concisenessReward', 'repetitionPenalty', 'cotClarityReward',
    ]);
    const asTrainerSees: readonly RewardFunction[] = defaultRewards;
    expect(asTrainerSees).toHaveLength(7);
  });

  it('reaches the maximum 4.0 for a perfect completion', () => {
    const reasoning = 'First add three and four. Then double it. Next subtract two. Thus twelve remains, hence therefore done.';
    expect(total(strict(reasoning, '12'), '12')).toBe(4.0);
  });

  it('reaches the minimum −1.0 for long repetitive reasoning', () => {
    expect(total(`<reasoning>${'w '.repeat(200)}</reasoning>`, '72')).toBe(-1.0);
  });

  it('scores each completion of a batch on its own row', () => {
    const completions = ['<answer>72</answer>', '<answer>7</answer>', strict('r', '5')];
    expect(correctnessReward(completions, ctxFor(3, ['72', '72', '5']))).toEqual([2.0, 0.0, 2.0]);
    expect(formatReward(completions, ctxFor(3))).toEqual([0.0, 0.0, 0.5]);
    expect(formatReward([], ctxFor(0))).toEqual([]);
  });
});

describe('input errors', () => {
  it('names the missing answer column', () => {
    expect(() => correctnessReward(['72'], ctxFor(1))).toThrow(RewardInputError);
    expect(() => correctnessReward(['72'], ctxFor(1))).toThrow(/ctx\.answer is missing.*`answer` column/);
  });

  it('names both lengths when ctx.answer has the wrong length', () => {
    expect(() => correctnessReward(['a', 'b', 'c'], ctxFor(3, ['1', '2']))).toThrow(/ctx\.answer has 2 entries but there are 3 completions/);
  });

  it('names the row of a non-string gold answer', () => {
    expect(() => correctnessReward(['a', 'b'], ctxFor(2, ['1', 2]))).toThrow(/ctx\.answer\[1\] must be a string, got number/);
  });

  it('names the bad completion', () => {
    expect(() => formatReward('abc' as unknown as string[], ctxFor(1))).toThrow(/formatReward: `completions` must be an array/);
    expect(() => formatReward(['a', 3 as unknown as string], ctxFor(2))).toThrow(/completions\[1\] must be a string/);
  });
});

describe('extractHashAnswer', () => {
  it.each([
    ['Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 72', '72'],
    ['#### 1,000 \n', '1,000'],
    ['no hash here', ''],
    ['#### ', ''],
    ['a #### 1 #### 2', '1'],
    ['####\u3000٣\u0085', '٣'],
  ])('%j → %j', (text, gold) => {
    expect(extractHashAnswer(text)).toBe(gold);
  });

  const testFile = sharedAsset('gsm8k/test.jsonl');
  const present = haveSharedAssets('rewards api: GSM8K test golds', ['gsm8k/test.jsonl']);
  it.skipIf(!present)('gives a non-empty gold for every GSM8K test row (skipped when the shared assets are absent; fails under CI)', () => {
    const rows = readFileSync(testFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { answer: string });
    const golds = rows.map((r) => extractHashAnswer(r.answer));
    expect(rows).toHaveLength(1319);
    expect(golds.every((g) => g.length > 0 && g === g.trim())).toBe(true);
    const completions = golds.map((g) => strict('First, compute it.', g));
    expect(correctnessReward(completions, ctxFor(golds.length, golds)).every((v) => v === 2.0)).toBe(true);
  });
});

describe('extractEvalPrediction and isExactMatch', () => {
  it.each([
    ['<final_answer> 72 </final_answer><answer>73</answer>', '72'],
    ['<answer>73</answer><final_answer>72', '73'],
    ['<answer>1</answer> <answer>2</answer>', '2'],
    ['<answer>a<answer>b</answer>', 'b'],
    ['<answer>1</answer><answer>2', '1'],
    ['<answer>\r\n72\r\n</answer>', '72'],
    ['The answer is 72', ''],
    ['</answer><answer>', ''],
    ['', ''],
  ])('prediction of %j is %j', (completion, prediction) => {
    expect(extractEvalPrediction(completion)).toBe(prediction);
  });

  it.each([
    ['72', '72', true],
    ['72', ' 72\n', true],
    ['72.0', '72', false],
    ['$72', '72', false],
    ['1000', '1,000', false],
    ['', '', true],
    ['', '72', false],
  ])('isExactMatch(%j, %j) is %s', (prediction, gold, expected) => {
    expect(isExactMatch(prediction, gold)).toBe(expected);
  });

  it('counts a long completion whose last answer is right', () => {
    const completion = `${words(3000)}<answer>7</answer>${words(3000)}<answer>72</answer>`;
    expect(isExactMatch(extractEvalPrediction(completion), '72')).toBe(true);
  });
});
