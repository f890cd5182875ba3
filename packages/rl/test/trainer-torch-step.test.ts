/**
 * Two complete GRPOTrainer steps on the bigram policy against an independent PyTorch computation
 * (test/fixtures/make_step_fixture.py): temperature-scaled log-probs, group advantages, the grpo
 * loss with k3 KL to the adapter-disabled model, ÷ G over 2 micro-batches, accumulation, global-norm
 * clipping, AdamW with weight decay and the linear schedule. The sampled completions are the
 * fixture's inputs (the test checks it sampled exactly those); everything after is recomputed by torch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRPOTrainer } from '../src/trainer.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { countReward } from './helpers/synthetic-task.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/bigram-step.json', import.meta.url), 'utf8'));
const tokenizer = new CharTokenizer('abcde');
const V = tokenizer.vocabSize;
const R = 2;
/** The deterministic initial tables the python script rebuilds. */
const initTables = () => ({
  base: Array.from({ length: V }, (_, i) => Array.from({ length: V }, (_, j) => 0.6 * Math.sin(1.7 * i + 0.9 * j + 0.3))),
  loraA: Array.from({ length: V }, (_, i) => Array.from({ length: R }, (_, j) => 0.4 * Math.cos(0.8 * i - 1.3 * j))),
  loraB: Array.from({ length: R }, (_, i) => Array.from({ length: V }, (_, j) => 0.3 * Math.sin(0.5 * i + 1.1 * j + 1))),
});

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-rl-torch-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('GRPOTrainer vs PyTorch', () => {
  it('two optimizer steps (2 micro-batches each) match loss, grad_norm, kl and the updated weights', async () => {
    const model = new BigramPolicy(V, { rank: R, init: initTables() });
    const sampled: { promptIds: number[][]; completionIds: number[][] }[] = [];
    const generate = model.generate.bind(model);
    model.generate = async (promptIds, options) => {
      const out = await generate(promptIds, options);
      sampled.push({ promptIds, completionIds: out.completionIds });
      return out;
    };
    const weights: { loraA: number[]; loraB: number[] }[] = [];
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('a')],
      trainDataset: ['ab', 'cd', 'eb', 'da'].map((prompt) => ({ prompt })),
      config: {
        outputDir: join(root, 'out'), maxSteps: 2, numGenerations: 4, perDeviceTrainBatchSize: 1, gradientAccumulationSteps: 2,
        maxCompletionLength: 4, temperature: 0.7, beta: 0.1, learningRate: 0.05, weightDecay: 0.01, maxGradNorm: 0.1,
        lrSchedulerType: 'linear', loggingSteps: 1, saveSteps: 0, evalSteps: 0, logCompletions: false, seed: 3,
      },
      onStep: () => {
        weights.push({ loraA: Array.from(model.loraA.dataSync()), loraB: Array.from(model.loraB.dataSync()) });
      },
      logger: { warn: () => {}, info: () => {} },
    });
    const result = await trainer.train();
    if (process.env.GRPOJS_PRINT_STEP_INPUTS) console.info(JSON.stringify(sampled));
    expect(sampled).toEqual(fixture.inputs.calls); // the sampled batch the torch script was given
    fixture.steps.forEach((ref: { loss: number; gradNorm: number; kl: number; reward: number; loraA: number[]; loraB: number[] }, s: number) => {
      const m = result.stepMetrics[s];
      expect(m.reward).toBeCloseTo(ref.reward, 10);
      expect(m.loss).toBeCloseTo(ref.loss, 5);
      expect(m.grad_norm).toBeCloseTo(ref.gradNorm, 4);
      expect(m.kl).toBeCloseTo(ref.kl, 5);
      weights[s].loraA.forEach((x, i) => expect(Math.abs(x - ref.loraA[i])).toBeLessThan(2e-6));
      weights[s].loraB.forEach((x, i) => expect(Math.abs(x - ref.loraB[i])).toBeLessThan(2e-6));
    });
    trainer.dispose();
    model.dispose();
  });
});
