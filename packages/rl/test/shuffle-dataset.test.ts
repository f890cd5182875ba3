/**
 * shuffleDataset (TRL shuffle_dataset): true (the default) takes each epoch in a seeded permutation,
 * false in dataset order; the trainer's generation batches follow it.
 */
import { permutation } from '@grpojs/data';
import type { RewardFunction } from '@grpojs/rewards';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataOrder } from '../src/data-order.js';
import { GRPOTrainer } from '../src/trainer.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { ALPHABET, syntheticPrompts } from './helpers/synthetic-task.js';

const tokenizer = new CharTokenizer(ALPHABET);
let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-rl-shuffle-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('DataOrder', () => {
  it('without shuffling takes every epoch in dataset order (the tail that does not fill a batch dropped)', () => {
    const order = new DataOrder(7, 3, 42, false);
    expect([0, 1, 2, 3].map((b) => order.batch(b).rows)).toEqual([[0, 1, 2], [3, 4, 5], [0, 1, 2], [3, 4, 5]]);
  });

  it('shuffles with the seeded permutation of each epoch by default', () => {
    const order = new DataOrder(7, 3, 42);
    expect(order.batch(0).rows).toEqual(permutation(7, 42, 0).slice(0, 3));
    expect(order.batch(2).rows).toEqual(permutation(7, 42, 1).slice(0, 3));
  });
});

describe('GRPOTrainer with shuffleDataset', () => {
  for (const shuffle of [false, true]) {
    it(`generation batches take the prompts ${shuffle ? 'in the seeded order' : 'in dataset order'}`, async () => {
      const rows = syntheticPrompts(6);
      const seen: string[][] = [];
      const reward: RewardFunction = Object.assign((completions: string[], ctx: { prompts: string[] }) => {
        seen.push([...new Set(ctx.prompts)]);
        return completions.map((c) => c.length);
      }, { rewardName: 'len' });
      const model = new BigramPolicy(tokenizer.vocabSize, { seed: 2 });
      const trainer = new GRPOTrainer({
        model,
        tokenizer,
        rewardFunctions: [reward as RewardFunction],
        trainDataset: rows,
        config: { outputDir: join(root, String(shuffle)), maxSteps: 2, numGenerations: 2, perDeviceTrainBatchSize: 1, gradientAccumulationSteps: 2, maxCompletionLength: 3, saveSteps: 0, evalSteps: 0, logCompletions: false, shuffleDataset: shuffle, seed: 42 },
        logger: { warn: () => {}, info: () => {} },
      });
      await trainer.train();
      const order = shuffle ? permutation(6, 42, 0) : [0, 1, 2, 3, 4, 5];
      expect(seen).toEqual([order.slice(0, 2).map((i) => rows[i].prompt), order.slice(2, 4).map((i) => rows[i].prompt)]);
      trainer.dispose();
      model.dispose();
    });
  }
});
