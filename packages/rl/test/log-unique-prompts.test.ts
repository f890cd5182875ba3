/**
 * logUniquePrompts (TRL log_unique_prompts): the tracker gets the first completion of each prompt,
 * then at most numCompletionsToPrint of them; completions.jsonl keeps every row.
 */
import type { CompletionRecord, Metrics, Tracker } from '@grpojs/tracking';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trackerCompletions } from '../src/metrics.js';
import { GRPOTrainer } from '../src/trainer.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { ALPHABET, countReward, syntheticPrompts } from './helpers/synthetic-task.js';

const tokenizer = new CharTokenizer(ALPHABET);
let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-rl-unique-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const record = (prompt: string, completion: string): CompletionRecord => ({ step: 1, prompt, completion, rewards: {}, advantage: 0 });

describe('trackerCompletions', () => {
  it('keeps the first record of each prompt, then the limit', () => {
    const rows = [record('p', 'a'), record('p', 'b'), record('q', 'c'), record('q', 'd'), record('r', 'e')];
    expect(trackerCompletions(rows, true, 8).map((r) => r.completion)).toEqual(['a', 'c', 'e']);
    expect(trackerCompletions(rows, true, 2).map((r) => r.completion)).toEqual(['a', 'c']);
    expect(trackerCompletions(rows, false, 3).map((r) => r.completion)).toEqual(['a', 'b', 'c']);
  });
});

describe('GRPOTrainer with logUniquePrompts', () => {
  for (const unique of [true, false]) {
    it(`sends the tracker ${unique ? 'one completion per prompt' : 'every completion up to the limit'}`, async () => {
      const sent: CompletionRecord[][] = [];
      const tracker: Tracker = {
        init: async () => {},
        log: async (_m: Metrics) => {},
        logCompletions: async (rows) => {
          sent.push(rows);
        },
        summary: async () => {},
        finish: async () => {},
      };
      const model = new BigramPolicy(tokenizer.vocabSize, { seed: 3 });
      const outputDir = join(root, String(unique));
      const trainer = new GRPOTrainer({
        model,
        tokenizer,
        rewardFunctions: [countReward('a')],
        trainDataset: syntheticPrompts(8),
        tracker,
        config: { outputDir, maxSteps: 1, numGenerations: 4, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 1, maxCompletionLength: 4, loggingSteps: 1, saveSteps: 0, evalSteps: 0, logCompletions: true, numCompletionsToPrint: 8, logUniquePrompts: unique },
        logger: { warn: () => {}, info: () => {} },
      });
      await trainer.train();
      expect(sent).toHaveLength(1);
      const prompts = sent[0].map((r) => r.prompt);
      if (unique) expect(prompts).toEqual([...new Set(prompts)]);
      expect(prompts).toHaveLength(unique ? 2 : 8);
      const local = (await readFile(join(outputDir, 'completions.jsonl'), 'utf8')).trim().split('\n');
      expect(local).toHaveLength(8);
      trainer.dispose();
      model.dispose();
    });
  }
});
