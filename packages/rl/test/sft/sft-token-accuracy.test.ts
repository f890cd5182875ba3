/**
 * SFTTrainer's mean_token_accuracy and eval_mean_token_accuracy (TRL's): per micro-batch (eval
 * batch), the fraction of trained tokens where the model's argmax is the token, then the plain mean
 * over the batches of the logging window. Checked against the bigram policy's own table predictions
 * computed here in plain JS, with batches whose token counts differ (so the pooled ratio, a
 * different number, would fail), and rising to 1 on a set the bigram model can learn exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataOrder } from '../../src/data-order.js';
import { SFTTrainer } from '../../src/sft/trainer.js';
import { BigramPolicy } from '../helpers/bigram-policy.js';
import { CharTokenizer } from '../helpers/char-tokenizer.js';

const tokenizer = new CharTokenizer('abcde');
const V = tokenizer.vocabSize;
type Row = { prompt: string; completion: string };
const split = (s: string): Row => {
  const [prompt, completion] = s.split('>');
  return { prompt, completion };
};
const quiet = { warn: () => {}, info: () => {} };

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-sft-accuracy-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The bigram table base + A·B [V][V] as the model holds it now. */
function table(model: BigramPolicy): number[][] {
  const base = model.base.arraySync();
  const a = model.loraA.arraySync() as number[][];
  const b = model.loraB.arraySync() as number[][];
  return base.map((row, i) => row.map((x, j) => x + a[i].reduce((s, aik, k) => s + aik * b[k][j], 0)));
}

/** First maximal index, as torch.argmax. */
const argmax = (row: number[]) => row.reduce((best, x, j) => (x > row[best] ? j : best), 0);

/** [correct, tokens] of one batch: the completion and its EOS are trained, each predicted from the token before it. */
function count(t: number[][], rows: Row[]): [number, number] {
  let correct = 0;
  let tokens = 0;
  for (const row of rows) {
    const prompt = tokenizer.encode(row.prompt);
    const completion = [...tokenizer.encode(row.completion), tokenizer.eosTokenId];
    completion.forEach((id, i) => {
      const prev = i === 0 ? prompt[prompt.length - 1] : completion[i - 1];
      correct += argmax(t[prev]) === id ? 1 : 0;
      tokens++;
    });
  }
  return [correct, tokens];
}

describe('SFTTrainer mean_token_accuracy', () => {
  it('is the mean over micro-batches (eval batches) of each one’s argmax accuracy, from the model’s own predictions', async () => {
    // Seed 3's table predicts a→e, b→d, c→d, d→d, e→c (never EOS): rows right on 0 to 3 of their tokens.
    const rows = ['a>e', 'b>dd', 'e>cd', 'a>b', 'c>ddd', 'e>a', 'b>a', 'd>d'].map(split);
    const evalRows = ['b>dd', 'a>e', 'c>ddd'].map(split);
    const model = new BigramPolicy(V, { seed: 3, baseScale: 2 });
    const before = table(model);
    expect(before.map(argmax)).toEqual([4, 3, 3, 3, 2, 2]);
    const config = { outputDir: join(root, 'hand'), maxSteps: 1, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, perDeviceEvalBatchSize: 2, learningRate: 0.1, loggingSteps: 1, saveSteps: 0, seed: 11 };
    const trainer = new SFTTrainer({ model, tokenizer, trainDataset: rows, evalDataset: evalRows, config, logger: quiet });
    const { logHistory } = await trainer.train();
    trainer.dispose();

    // The step's rows in the trainer's data order, split into its two micro-batches; predicted before the update.
    const order = new DataOrder(rows.length, 4, config.seed).batch(0).rows.map((i) => rows[i]);
    const micro = [order.slice(0, 2), order.slice(2, 4)].map((part) => count(before, part));
    const expected = (micro[0][0] / micro[0][1] + micro[1][0] / micro[1][1]) / 2;
    const pooled = (micro[0][0] + micro[1][0]) / (micro[0][1] + micro[1][1]);
    expect(micro[0][1]).not.toBe(micro[1][1]);
    expect(Math.abs(expected - pooled)).toBeGreaterThan(1e-3);
    const train = logHistory.find((e) => 'mean_token_accuracy' in e);
    expect(train?.mean_token_accuracy).toBeCloseTo(expected, 6);

    // Evaluation runs after the step, with the updated table; batches of 2 and 1 rows.
    const after = table(model);
    const evalBatches = [evalRows.slice(0, 2), evalRows.slice(2)].map((part) => count(after, part));
    const evalExpected = (evalBatches[0][0] / evalBatches[0][1] + evalBatches[1][0] / evalBatches[1][1]) / 2;
    expect(evalBatches.some(([c]) => c > 0)).toBe(true);
    expect(Math.abs(evalExpected - (evalBatches[0][0] + evalBatches[1][0]) / (evalBatches[0][1] + evalBatches[1][1]))).toBeGreaterThan(1e-3);
    const evaluation = logHistory.find((e) => 'eval_loss' in e);
    expect(evaluation?.eval_mean_token_accuracy).toBeCloseTo(evalExpected, 6);
    model.dispose();
  });

  it('rises to 1 on a set a bigram model learns exactly, and the tensor count stays flat', async () => {
    // Consistent bigrams: a→b, c→d, b→EOS, d→EOS.
    const rows = ['a>b', 'c>d', 'ea>b', 'ec>d', 'da>b', 'bc>d', 'aa>b', 'cc>d'].map(split);
    const model = new BigramPolicy(V, { seed: 4 });
    const counts: number[] = [];
    const config = { outputDir: join(root, 'learn'), maxSteps: 40, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, learningRate: 0.1, loggingSteps: 5, saveSteps: 0, seed: 2 };
    const trainer = new SFTTrainer({ model, tokenizer, trainDataset: rows, evalDataset: rows, config, logger: quiet, onStep: () => void counts.push(tf.memory().numTensors) });
    const { logHistory } = await trainer.train();
    trainer.dispose();
    const curve = logHistory.filter((e) => 'mean_token_accuracy' in e).map((e) => e.mean_token_accuracy);
    expect(curve).toHaveLength(8);
    expect(curve[0], `curve ${curve}`).toBeLessThan(0.75);
    expect(curve.at(-1), `curve ${curve}`).toBe(1);
    expect(logHistory.find((e) => 'eval_loss' in e)?.eval_mean_token_accuracy).toBe(1);
    expect(new Set(counts.slice(1)).size, `numTensors per step: ${counts}`).toBe(1);
    model.dispose();
  });
});
