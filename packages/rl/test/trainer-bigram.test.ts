/**
 * GRPOTrainer end to end on a small bigram PolicyModel (test/helpers/bigram-policy.ts): learning,
 * exact resume, NaN-step skipping, tensor leaks, evaluation and zero-variance-group dropping.
 * The GPT-2 proof lives in trainer-gpt2.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GRPOConfigInput } from '../src/config.js';
import { TIMING_METRICS } from '../src/metrics.js';
import { GRPOTrainer } from '../src/trainer.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { expectPlausibleStepMetrics } from './helpers/metric-ranges.js';
import { ALPHABET, countReward, syntheticPrompts } from './helpers/synthetic-task.js';

const tokenizer = new CharTokenizer(ALPHABET);
const prompts = syntheticPrompts(64);
let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-rl-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const quiet = { warn: () => {}, info: () => {} };

function baseConfig(outputDir: string, extra: GRPOConfigInput = {}): GRPOConfigInput {
  return {
    outputDir,
    numGenerations: 4,
    perDeviceTrainBatchSize: 2,
    gradientAccumulationSteps: 2,
    maxCompletionLength: 8,
    learningRate: 0.05,
    lrSchedulerType: 'constant',
    temperature: 1,
    loggingSteps: 5,
    saveSteps: 0,
    evalSteps: 0,
    logCompletions: false,
    ...extra,
  };
}

function withoutTiming(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).filter(([k]) => !TIMING_METRICS.has(k)));
}

describe('GRPOTrainer on a bigram policy', () => {
  it('learns to emit the rewarded character (mean reward rises by > 2 in 60 steps)', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 3 });
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('a')],
      trainDataset: prompts,
      config: baseConfig(join(root, 'learn'), { maxSteps: 60 }),
      logger: quiet,
    });
    const result = await trainer.train();
    const rewards = result.stepMetrics.map((m) => m.reward);
    const first = rewards.slice(0, 10).reduce((a, b) => a + b) / 10;
    const last = rewards.slice(-10).reduce((a, b) => a + b) / 10;
    console.info(`bigram learning curve: first 10 steps ${first.toFixed(3)}, last 10 steps ${last.toFixed(3)}`);
    expect(last).toBeGreaterThan(first + 2);
    expect(result.completed).toBe(true);
    expect(result.logHistory.map((l) => l.step)).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60]);
    const m = result.stepMetrics[0];
    for (const key of ['loss', 'grad_norm', 'learning_rate', 'epoch', 'num_tokens', 'kl', 'entropy', 'reward', 'reward_std',
      'frac_reward_zero_std', 'rewards/count_a/mean', 'rewards/count_a/std', 'completions/mean_length', 'completions/clipped_ratio',
      'completions/mean_terminated_length', 'clip_ratio/region_mean', 'step_time', 'step_time/generation']) {
      expect(m, key).toHaveProperty([key]);
    }
    // Every step: finite values in the ranges their definitions allow (count of 'a' ≤ 8 tokens).
    result.stepMetrics.forEach((step) =>
      expectPlausibleStepMetrics(step, { reward: [0, 8], perFunction: { count_a: [0, 8] }, maxCompletionLength: 8, vocabSize: tokenizer.vocabSize }),
    );
    result.logHistory.forEach((log) => expectPlausibleStepMetrics(log, { reward: [0, 8], maxCompletionLength: 8, vocabSize: tokenizer.vocabSize }));
    expect(m.kl).toBe(0); // adapter B starts at zero: policy = reference
    expect(result.stepMetrics[59].kl).toBeGreaterThan(0);
    expect(result.stepMetrics[59].epoch).toBeCloseTo(60 / 16, 10); // 64 prompts / 4 per batch = 16 steps per epoch
    const files = await readdir(join(root, 'learn'));
    expect(files).toContain('checkpoint-60');
    expect(files).toContain('bigram_adapter.json'); // final adapter at outputDir
    trainer.dispose();
    model.dispose();
  });

  // Step 5 lies inside a generation batch with μ = 2 and with a generation over two optimizer steps.
  const layouts: [string, GRPOConfigInput][] = [
    ['1', { numIterations: 1 }],
    ['2', { numIterations: 2 }],
    ['spg4', { stepsPerGeneration: 4 }],
  ];
  for (const [numIterations, layout] of layouts) {
    it(`resume after 5 steps reproduces the uninterrupted run exactly (${JSON.stringify(layout)})`, async () => {
      const cfg = (dir: string) => baseConfig(join(root, dir), { maxSteps: 10, ...layout, saveSteps: 5, loggingSteps: 3, logCompletions: true });
      const make = (dir: string) => {
        const model = new BigramPolicy(tokenizer.vocabSize, { seed: 5 });
        const trainer = new GRPOTrainer({ model, tokenizer, rewardFunctions: [countReward('b')], trainDataset: prompts, config: cfg(dir), logger: quiet });
        return { model, trainer };
      };
      const full = make(`full-${numIterations}`);
      const fullResult = await full.trainer.train();

      const first = make(`resumed-${numIterations}`);
      const partial = await first.trainer.train({ stopAfterStep: 5 });
      expect(partial.completed).toBe(false);
      expect(partial.lastCheckpoint).toMatch(/checkpoint-5$/);
      // the interrupted process went on for 2 more steps (logging completions) before it died
      await first.trainer.train({ stopAfterStep: 7 });
      await rm(join(root, `resumed-${numIterations}`, 'checkpoint-7'), { recursive: true });
      // a fresh process: new model (same init), new trainer, restore
      const second = make(`resumed-${numIterations}`);
      await second.trainer.resume('latest');
      const resumed = await second.trainer.train();

      expect(resumed.stepMetrics.map((m) => m.step)).toEqual([6, 7, 8, 9, 10]);
      expect(resumed.stepMetrics.map(withoutTiming)).toEqual(fullResult.stepMetrics.slice(5).map(withoutTiming));
      expect(resumed.logHistory.map(withoutTiming)).toEqual(fullResult.logHistory.map(withoutTiming));
      expect(Array.from(second.model.loraA.dataSync())).toEqual(Array.from(full.model.loraA.dataSync()));
      expect(Array.from(second.model.loraB.dataSync())).toEqual(Array.from(full.model.loraB.dataSync()));
      const lines = (await readFile(join(root, `resumed-${numIterations}`, 'completions.jsonl'), 'utf8')).trim().split('\n');
      const fullLines = (await readFile(join(root, `full-${numIterations}`, 'completions.jsonl'), 'utf8')).trim().split('\n');
      expect(lines).toEqual(fullLines);
      for (const t of [full, first, second]) {
        t.trainer.dispose();
        t.model.dispose();
      }
    });
  }

  it('keeps tf.memory().numTensors flat across training steps', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 9 });
    const counts: number[] = [];
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('c')],
      trainDataset: prompts,
      config: baseConfig(join(root, 'memory'), { maxSteps: 20, numIterations: 2 }),
      onStep: () => {
        counts.push(tf.memory().numTensors);
      },
      logger: quiet,
    });
    await trainer.train();
    expect(new Set(counts.slice(2)).size).toBe(1);
    trainer.dispose();
    model.dispose();
  });
});
