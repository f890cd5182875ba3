import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRewards, type CompletionRecord } from '../../src/index.js';
import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../../src/cli/errors.js';
import { formatScore, scoreFile } from '../../src/cli/commands/score.js';
import { runProgram, tempDir } from './helpers.js';

const good = '<reasoning>\nFirst add 48 and 24. Then done.\n</reasoning>\n<answer>\n72\n</answer>\n';
const wrong = '<reasoning>\nI think it is more.\n</reasoning>\n<answer>\n73\n</answer>\n';
const plain = 'The answer is 72';

/** Writes rows as JSONL and returns the path. */
function jsonl(rows: unknown[], name = 'completions.jsonl'): string {
  const path = join(tempDir(), name);
  writeFileSync(path, rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');
  return path;
}

describe('score', () => {
  const rows = [
    { completion: good, answer: '72' },
    { completion: wrong, answer: 'Natalia sold 48/2 = 24 clips in May.\n#### 72' },
    { completion: plain, answer: '72', prompt: 'How many clips?' },
  ];

  it('averages each reward over the rows, scoring each row as a batch of one would', async () => {
    const summary = await scoreFile(jsonl(rows));
    expect(summary.rows).toBe(3);
    for (const reward of defaultRewards) {
      const perRow = rows.map((r) => reward([r.completion], { prompts: [''], completionIds: [[]], answer: ['72'] })[0]);
      expect(summary.means[reward.rewardName]).toBeCloseTo(perRow.reduce((a, b) => a + b, 0) / 3, 12);
    }
    // Only the first completion has the right <answer>: correctness pays 2 for it, 0 for the others.
    expect(summary.means.correctness).toBeCloseTo(2 / 3, 12);
    expect(summary.accuracy).toBeCloseTo(1 / 3, 12);
    const total = Object.values(summary.means).reduce((a, b) => (a ?? 0) + (b ?? 0), 0) ?? 0;
    expect(summary.total).toBeCloseTo(total, 12);
  });

  it('prints every function, the total and the accuracy; --json gives the same numbers', async () => {
    const file = jsonl(rows);
    const text = formatScore(await scoreFile(file));
    for (const reward of defaultRewards) expect(text).toMatch(new RegExp(`^  ${reward.rewardName}\\s+-?\\d+\\.\\d{4}$`, 'm'));
    expect(text).toMatch(/^ {2}accuracy\s+0\.3333$/m);
    const cli = await runProgram(['score', file, '--json']);
    expect(cli.error).toBeUndefined();
    expect(JSON.parse(cli.stdout)).toEqual(JSON.parse(JSON.stringify(await scoreFile(file))));
  });

  it('names the file, line and field of a bad row', async () => {
    const file = jsonl([{ completion: good, answer: '72' }, { completion: good }]);
    await expect(scoreFile(file)).rejects.toThrow(CliUsageError);
    await expect(scoreFile(file)).rejects.toThrow(`${file}:2: field "answer" must be a string`);
    const broken = jsonl([{ completion: good, answer: '72' }, '{"completion": ']);
    await expect(scoreFile(broken)).rejects.toThrow(`${broken}:2: not valid JSON`);
    await expect(scoreFile(jsonl([]))).rejects.toThrow('has no rows');
  });
});

describe("score on the trainer's own completions.jsonl (no answer column)", () => {
  const questions = ['Natalia sold clips to 48 of her friends in April, and then half as many in May. How many clips?', 'What is 6 * 7?'];
  // The rows as the trainer writes them (@grpojs/rl completionRecords): the rendered prompt, no answer.
  const records: CompletionRecord[] = [
    { step: 1, prompt: `system: Respond in the format\nuser: ${questions[0]}\n`, completion: good, rewards: { correctness: 2 }, advantage: 0.7 },
    { step: 1, prompt: `system: Respond in the format\nuser: ${questions[0]}\n`, completion: wrong, rewards: { correctness: 0 }, advantage: -0.7 },
    { step: 2, prompt: `system: Respond in the format\nuser: ${questions[1]}\n`, completion: plain, rewards: { correctness: 0 }, advantage: 0 },
  ];
  const data = () => jsonl([{ question: questions[0], answer: 'She sold 48 + 24 = 72.\n#### 72' }, { question: questions[1], answer: '6 * 7 = 42\n#### 42' }], 'train.jsonl');

  it('scores the rewards that need no answer and names the skipped ones', async () => {
    const file = jsonl(records);
    const summary = await scoreFile(file);
    expect(summary.skipped).toEqual(['correctness']);
    expect(summary.means).not.toHaveProperty('correctness');
    expect(summary.accuracy).toBeNull();
    for (const reward of defaultRewards.filter((r) => r.rewardName !== 'correctness')) {
      const perRow = records.map((r) => reward([r.completion], { prompts: [r.prompt], completionIds: [[]] })[0]);
      expect(summary.means[reward.rewardName], reward.rewardName).toBeCloseTo(perRow.reduce((a, b) => a + b, 0) / 3, 12);
    }
    const cli = await runProgram(['score', file]);
    expect(cli.error).toBeUndefined();
    expect(cli.stdout).toMatch(/skipped \(no answer column; give --data to join the answers\): correctness/);
    expect(cli.stdout).toMatch(/^ {2}accuracy\s+n\/a$/m);
  });

  it('--data joins the gold answers by the question in each prompt', async () => {
    const file = jsonl(records);
    const summary = await scoreFile(file, defaultRewards, { data: data() });
    expect(summary.skipped).toEqual([]);
    // Rows 1-2 ask question 0 (gold 72): only the first is right; row 3 asks question 1 (gold 42).
    expect(summary.means.correctness).toBeCloseTo(2 / 3, 12);
    expect(summary.accuracy).toBeCloseTo(1 / 3, 12);
    const cli = await runProgram(['score', file, '--data', data(), '--json']);
    expect(cli.error).toBeUndefined();
    expect(JSON.parse(cli.stdout)).toMatchObject({ skipped: [], accuracy: 1 / 3 });
  });

  it('a prompt that holds no question of --data names its line', async () => {
    const file = jsonl([...records, { ...records[0], prompt: 'user: an unknown question\n' }]);
    await expect(scoreFile(file, defaultRewards, { data: data() })).rejects.toThrow(`${file}:4: the prompt holds no question of`);
  });
});

