/** The console's per-sample line: one line of at most 120 columns (or the terminal's width), completion cut with an ellipsis, rewards compact. */
import { describe, expect, it } from 'vitest';
import { ConsoleTracker } from '../src/console.js';
import { formatSampleLine, formatSampleRewards, SAMPLE_LINE_WIDTH, truncateOneLine } from '../src/sample-line.js';

const SEVEN = { correctness: 2, format: 0.5, strict_format: 0, numeric: 0, conciseness: 0.123456, repetition: 0, cot_clarity: null };
const LONG = `<reasoning>\nNatalia sold 48 clips in April and then she sold half as many clips in May, so that is 48 / 2 = 24 clips in May.
Altogether she sold 48 + 24 = 72 clips in April and May, which is the answer to the question that was asked.\n</reasoning>\n<answer>72</answer>`;

describe('formatSampleLine', () => {
  it('fits a long completion and the seven rewards in 120 columns, cutting the completion with an ellipsis', () => {
    // The line this replaces printed every reward and 160 characters of completion: about 300 columns.
    const line = formatSampleLine({ step: 20, prompt: 'p', completion: LONG, rewards: SEVEN, advantage: 0.4999999 }, 20);
    expect(line.length).toBeLessThanOrEqual(SAMPLE_LINE_WIDTH);
    expect(line).toMatch(/^ {2}sample @20: <reasoning> Natalia sold 48 clips .*… \| correctness=2 format=0\.5 conciseness=0\.1235 \+3 at 0 \+1 n\/a \| adv 0\.5$/);
    expect(line).not.toMatch(/\n/);
  });

  it('keeps a short sample whole and narrows to a smaller terminal', () => {
    const row = { step: 3, prompt: 'p', completion: '<answer>4</answer>', rewards: { correctness: 2 }, advantage: -1 };
    expect(formatSampleLine(row, 3)).toBe('  sample @3: <answer>4</answer> | correctness=2 | adv -1');
    const narrow = formatSampleLine({ ...row, completion: LONG }, 3, 80);
    expect(narrow.length).toBe(80);
    expect(narrow).toMatch(/… \| correctness=2 \| adv -1$/);
  });

  it('cuts by code points, so an emoji is never split in half', () => {
    expect(truncateOneLine('😀😀😀😀', 3)).toBe('😀😀…');
    expect(truncateOneLine('a\n\n b\tc', 10)).toBe('a b c');
  });
});

describe('formatSampleRewards', () => {
  it('lists the rewards that scored and counts the zeros and the not-applicable ones', () => {
    expect(formatSampleRewards(SEVEN)).toBe('correctness=2 format=0.5 conciseness=0.1235 +3 at 0 +1 n/a');
    expect(formatSampleRewards({ a: 0, b: 0, c: null })).toBe('2 at 0, 1 n/a');
    expect(formatSampleRewards({})).toBe('no rewards');
  });

  it('turns the entries that do not fit into "+N more"', () => {
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`custom_reward_${i}`, i + 1]));
    const text = formatSampleRewards(many, 56);
    expect(text).toBe('custom_reward_0=1 custom_reward_1=2 +10 more');
    expect(text.length).toBeLessThanOrEqual(56);
  });
});

describe('ConsoleTracker.logCompletions', () => {
  it('prints each sample as one compact line of at most 120 columns (the terminal\'s width when narrower)', async () => {
    for (const [columns, width] of [[undefined, 120], [200, 120], [90, 90]] as const) {
      const chunks: string[] = [];
      const tracker = new ConsoleTracker({ stream: { write: (s: string) => chunks.push(s), ...(columns !== undefined ? { columns } : {}) }, secrets: [] });
      await tracker.logCompletions([{ step: 5, prompt: 'p', completion: LONG, rewards: SEVEN, advantage: 1.25 }], 5);
      const lines = chunks.join('').split('\n').filter((l) => l.includes('sample @5'));
      expect(lines).toHaveLength(1);
      expect(lines[0].length, `columns ${columns}`).toBeLessThanOrEqual(width);
      expect(lines[0]).toMatch(/… \| correctness=2 .* \| adv 1\.25$/);
    }
  });
});

