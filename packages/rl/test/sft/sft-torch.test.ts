/**
 * SFT against an independent PyTorch computation (test/fixtures/make_sft_fixture.py) on the
 * bigram test policy: tokenization (prompt masked, EOS appended, `text` rows trained on every token
 * but the first, truncation at maxLength), the token-normalized cross-entropy and its gradients
 * over two micro-batches, clipping, AdamW with weight decay and the linear schedule, and eval_loss.
 * Tolerances: float32 here vs float64 in torch — 1e-5 relative on losses and norms, 1e-6 absolute on
 * gradients and weights (all of order 0.01–1).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GradientAccumulator } from '../../src/gradients.js';
import { splitAtLoss, tokenizeRow, type SFTRow } from '../../src/sft/dataset.js';
import { accumulateSFTMicroBatch, trainedTokens } from '../../src/sft/loss.js';
import { SFTTrainer } from '../../src/sft/trainer.js';
import { BigramPolicy } from '../helpers/bigram-policy.js';
import { CharTokenizer } from '../helpers/char-tokenizer.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/sft-step.json', import.meta.url), 'utf8'));
const tokenizer = new CharTokenizer('abcde');
const V = tokenizer.vocabSize;
const R = 2;
const initTables = () => ({
  base: Array.from({ length: V }, (_, i) => Array.from({ length: V }, (_, j) => 0.6 * Math.sin(1.7 * i + 0.9 * j + 0.3))),
  loraA: Array.from({ length: V }, (_, i) => Array.from({ length: R }, (_, j) => 0.4 * Math.cos(0.8 * i - 1.3 * j))),
  loraB: Array.from({ length: R }, (_, i) => Array.from({ length: V }, (_, j) => 0.3 * Math.sin(0.5 * i + 1.1 * j + 1))),
});
const noRender = () => {
  throw new Error('no conversational rows here');
};
const tokenize = (rows: SFTRow[]) =>
  rows.map((row, i) => splitAtLoss(tokenizeRow(row, i, { tokenizer, renderMessages: noRender, completionOnlyLoss: null, assistantOnlyLoss: false, maxLength: fixture.config.maxLength })));

const expectClose = (actual: ArrayLike<number>, expected: number[], tol: number) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(Math.abs(actual[i] - e), `entry ${i}: ${actual[i]} vs ${e}`).toBeLessThan(tol));
};

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-sft-torch-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('SFT vs PyTorch', () => {
  it('tokenizes as TRL: prompt masked, EOS appended, text rows trained from the second token, cut at maxLength', () => {
    expect(tokenize(fixture.rows)).toEqual([
      { promptIds: [0, 1], completionIds: [2, 3, 5], completionMask: [1, 1, 1] },
      { promptIds: [4], completionIds: [0, 0, 1, 5], completionMask: [1, 1, 1, 1] },
      { promptIds: [3, 2, 1], completionIds: [1, 4], completionMask: [1, 1] },
      { promptIds: [1], completionIds: [2, 0, 5], completionMask: [1, 1, 1] },
    ]);
    expect(trainedTokens(tokenize(fixture.rows))).toBe(fixture.steps[0].tokens);
  });

  it('the gradients of the step loss, accumulated over two micro-batches, match torch', () => {
    const model = new BigramPolicy(V, { rank: R, init: initTables() });
    const rows = tokenize(fixture.rows);
    const accumulator = new GradientAccumulator();
    const variables = model.trainableVariables();
    const stats = [rows.slice(0, 2), rows.slice(2)].map((part, m) => accumulateSFTMicroBatch(model, variables, part, 12, accumulator, { seed: m, chunkSize: null }));
    const [gA, gB] = accumulator.value as tf.Tensor[];
    expectClose(gA.dataSync(), fixture.steps[0].grad_loraA, 1e-6);
    expectClose(gB.dataSync(), fixture.steps[0].grad_loraB, 1e-6);
    expect((stats[0].nll + stats[1].nll) / 12).toBeCloseTo(fixture.steps[0].loss, 5);
    accumulator.dispose();
    model.dispose();
  });

  it('two SFTTrainer steps match loss, grad_norm and the updated weights; eval_loss matches', async () => {
    const model = new BigramPolicy(V, { rank: R, init: initTables() });
    const weights: { a: Float32Array; b: Float32Array }[] = [];
    const trainer = new SFTTrainer({
      model,
      tokenizer,
      trainDataset: fixture.rows,
      evalDataset: fixture.evalRows,
      config: {
        outputDir: join(root, 'out'), ...fixture.config, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2,
        loggingSteps: 1, saveSteps: 0, evalSteps: 0, seed: 3,
      },
      onStep: () => {
        weights.push({ a: model.loraA.dataSync() as Float32Array, b: model.loraB.dataSync() as Float32Array });
      },
    });
    const result = await trainer.train();
    const logged = result.logHistory.filter((e) => 'loss' in e);
    fixture.steps.forEach((expected: { loss: number; grad_norm: number; loraA: number[]; loraB: number[] }, s: number) => {
      expect(Math.abs(logged[s].loss / expected.loss - 1)).toBeLessThan(1e-5);
      expect(Math.abs(logged[s].grad_norm / expected.grad_norm - 1)).toBeLessThan(1e-5);
      expectClose(weights[s].a, expected.loraA, 1e-6);
      expectClose(weights[s].b, expected.loraB, 1e-6);
    });
    const evalEntry = result.logHistory.find((e) => 'eval_loss' in e);
    expect(Math.abs((evalEntry?.eval_loss as number) / fixture.evalLoss - 1)).toBeLessThan(1e-5);
    trainer.dispose();
    model.dispose();
  });
});
