/**
 * Benchmark (not a test): all seven rewards over 10 000 completions of about 2 KB, the scale of a
 * large GRPO step. Run with `pnpm bench`; docs/rewards.md records the result.
 */
import { bench, describe } from 'vitest';
import { defaultRewards } from '../src/index.js';

const N = 10_000;
const SENTENCES = [
  'First, she buys 12 apples at 3 dollars each, so she spends 12 * 3 = 36 dollars.',
  'Then he walks 4 miles every day for 7 days, which is 28 miles in total.',
  'Next we subtract the 15 cookies that were eaten from the 48 that were baked.',
  'Therefore the remaining amount is 33, and thus the answer follows directly.',
  'Hence the total cost is the sum of both purchases, 36 + 28 = 64 dollars.',
  'Die Straße ist 3 km lang; ΟΔΟΣ means road; 日本語のテキストも少し含める。',
];

/** A deterministic ~2 KB completion; every tenth one has non-ASCII text, shapes vary by row. */
function completion(i: number): string {
  const lines: string[] = [];
  for (let k = 0; lines.join('\n').length < 1900; k++) {
    const s = SENTENCES[(i + k * 7) % (i % 10 === 0 ? 6 : 5)];
    lines.push(`${s} (step ${k + 1}, row ${i})`);
  }
  const answer = String(64 + (i % 3));
  switch (i % 4) {
    case 0: return `<reasoning>\n${lines.join('\n')}\n</reasoning>\n<answer>\n${answer}\n</answer>\n`;
    case 1: return `<reasoning>${lines.join(' ')}</reasoning> <answer>${answer}</answer>`;
    case 2: return `${lines.join('\r\n')}\r\nThe answer is ${answer}.`;
    default: return `<reasoning>\n${lines.join('\n')}\n<answer>${answer} dollars</answer>`;
  }
}

const completions = Array.from({ length: N }, (_, i) => completion(i));
const ctx = {
  prompts: completions.map(() => 'question'),
  completionIds: completions.map(() => []),
  answer: completions.map(() => '64'),
};

describe(`${N} completions of ~${Math.round(completions.reduce((s, c) => s + c.length, 0) / N)} chars`, () => {
  bench('all seven rewards', () => {
    for (const reward of defaultRewards) reward(completions, ctx);
  }, { time: 0, iterations: 5, warmupIterations: 1 });

  for (const reward of defaultRewards) {
    bench(reward.rewardName, () => {
      reward(completions, ctx);
    }, { time: 0, iterations: 3, warmupIterations: 1 });
  }
});
