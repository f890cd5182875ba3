/**
 * Example: train with your own reward function next to the seven reference rewards.
 *
 * A reward function receives the decoded completions and a context with the prompts, the
 * completion token ids and every dataset column of each row (GSM8K rows carry `answer`, the gold
 * final answer). It returns one number per completion, or null where it does not apply.
 *
 * Run: `pnpm --filter @grpojs/example-custom-reward test` (offline, a tiny random GPT-2, ~1 min).
 * For the real job, set GRPOJS_EXAMPLE_MODEL=distilgpt2 and GRPOJS_EXAMPLE_DATA=openai/gsm8k.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRewards, train, writeTinyGPT2, type RewardContext, type RewardFunction } from 'grpojs';

/** 1 when the gold answer appears anywhere in the completion (a softer signal than exact match). */
const mentionsAnswer: RewardFunction = Object.assign(
  (completions: string[], ctx: RewardContext) => completions.map((text, i) => (text.includes(String(ctx.answer[i])) ? 1 : 0)),
  { rewardName: 'mentions_answer' },
);

/** Rewards can be async (e.g. call a checker service); this one penalizes empty completions. */
async function nonEmpty(completions: string[]): Promise<number[]> {
  return completions.map((text) => (text.trim() === '' ? -1 : 0));
}

const work = mkdtempSync(join(tmpdir(), 'grpojs-custom-reward-'));
const model = process.env.GRPOJS_EXAMPLE_MODEL ?? (await writeTinyGPT2(join(work, 'tiny-gpt2')));
const data = process.env.GRPOJS_EXAMPLE_DATA ?? join(work, 'problems.jsonl');
if (process.env.GRPOJS_EXAMPLE_DATA === undefined) {
  const problems = [
    ['Ann has 3 pens and buys 4 more. How many pens does she have?', 'She has 3+4=<<3+4=7>>7 pens.\n#### 7'],
    ['A box has 5 rows of 6 eggs. How many eggs are in the box?', 'There are 5*6=<<5*6=30>>30 eggs.\n#### 30'],
    ['Bo reads 8 pages a day for 3 days. How many pages does he read?', 'He reads 8*3=<<8*3=24>>24 pages.\n#### 24'],
    ['Cy had 20 dollars and spent 9. How many dollars are left?', 'He has 20-9=<<20-9=11>>11 dollars left.\n#### 11'],
  ];
  writeFileSync(data, problems.map(([question, answer]) => JSON.stringify({ question, answer })).join('\n') + '\n');
}

const report = await train(
  {
    model,
    data,
    outputDir: join(work, 'out'),
    reportTo: ['console'],
    maxSteps: 2,
    gradientAccumulationSteps: 1,
    maxPromptLength: 96,
    maxCompletionLength: 8,
    loggingSteps: 1,
    // A single file has no eval split: evaluate on one problem held out of training (seeded).
    evalHoldout: 1,
    // One weight per function: the defaults, then ours.
    rewardWeights: [...defaultRewards.map(() => 1), 2, 1],
  },
  { rewardFunctions: [...defaultRewards, mentionsAnswer, nonEmpty] },
);

const last = report.result.logHistory.filter((entry) => 'reward' in entry).at(-1);
assert.ok(last !== undefined, 'a training log entry');
assert.ok('rewards/mentions_answer/mean' in last && 'rewards/nonEmpty/mean' in last, 'custom rewards are logged by name');
console.log(`mentions_answer mean ${last['rewards/mentions_answer/mean']}, nonEmpty mean ${last['rewards/nonEmpty/mean']}, total reward ${last.reward}`);
