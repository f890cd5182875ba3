/**
 * SFTTrainer runs are exact across a stop and resume (same weights, optimizer moments and logged
 * metrics as the uninterrupted run), keep the tensor count flat across steps, refuse another run's
 * checkpoint and bad rows with errors that name them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SFTTrainer, type SFTTrainerOptions } from '../../src/sft/trainer.js';
import type { SFTRow } from '../../src/sft/dataset.js';
import { BigramPolicy } from '../helpers/bigram-policy.js';
import { CharTokenizer } from '../helpers/char-tokenizer.js';

const tokenizer = new CharTokenizer('abcde');
const rows: SFTRow[] = ['ab>cd', 'e>aab', 'dc>be', 'ba>eea', 'cc>a', 'de>dd', 'a>bcd', 'eb>c'].map((s) => {
  const [prompt, completion] = s.split('>');
  return { prompt, completion };
});
const strip = (log: Record<string, number>[]) => log.map(({ step_time: _t, eval_runtime: _r, ...rest }) => rest);

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-sft-resume-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function trainer(model: BigramPolicy, outputDir: string, extra: Partial<SFTTrainerOptions> = {}) {
  return new SFTTrainer({
    model,
    tokenizer,
    trainDataset: rows,
    evalDataset: rows.slice(0, 3),
    config: { outputDir, maxSteps: 6, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, learningRate: 0.05, weightDecay: 0.01, warmupSteps: 2, loggingSteps: 2, evalSteps: 3, saveSteps: 0, seed: 7 },
    logger: { warn: () => {}, info: () => {} },
    ...extra,
  });
}

describe('SFTTrainer resume', () => {
  it('stop at step 3 + resume gives the uninterrupted run exactly (weights, logs), over an epoch boundary', async () => {
    const straightModel = new BigramPolicy(6, { seed: 5 });
    const straight = trainer(straightModel, join(root, 'straight'));
    const full = await straight.train();

    const firstModel = new BigramPolicy(6, { seed: 5 });
    const first = trainer(firstModel, join(root, 'split'));
    const part = await first.train({ stopAfterStep: 3 });
    expect(part.globalStep).toBe(3);
    expect(part.lastCheckpoint).toMatch(/checkpoint-3$/);
    const resumedModel = new BigramPolicy(6, { seed: 5 });
    tf.tidy(() => resumedModel.loraB.assign(tf.onesLike(resumedModel.loraB))); // the checkpoint must restore the trained values
    const resumed = trainer(resumedModel, join(root, 'split'));
    await resumed.resume('latest');
    const rest = await resumed.train();
    expect(rest.globalStep).toBe(6);
    expect(Array.from(resumedModel.loraA.dataSync())).toEqual(Array.from(straightModel.loraA.dataSync()));
    expect(Array.from(resumedModel.loraB.dataSync())).toEqual(Array.from(straightModel.loraB.dataSync()));
    expect(strip(rest.logHistory)).toEqual(strip(full.logHistory));
    for (const x of [straight, first, resumed]) x.dispose();
    for (const m of [straightModel, firstModel, resumedModel]) m.dispose();
  });

  it('refuses a checkpoint of another run (changed learningRate), naming the field', async () => {
    const model = new BigramPolicy(6, { seed: 5 });
    const first = trainer(model, join(root, 'other'));
    await first.train({ stopAfterStep: 1 });
    first.dispose();
    const changed = new SFTTrainer({ model, tokenizer, trainDataset: rows, config: { outputDir: join(root, 'other'), maxSteps: 6, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, learningRate: 0.01, weightDecay: 0.01, warmupSteps: 2, seed: 7 } });
    await expect(changed.resume('latest')).rejects.toThrow(/learningRate: 0\.05 → 0\.01/);
    model.dispose();
  });

  it('keeps tf.memory().numTensors flat over steps (evaluation and checkpoints included)', async () => {
    const model = new BigramPolicy(6, { seed: 2 });
    const counts: number[] = [];
    const t = trainer(model, join(root, 'memory'), { onStep: () => void counts.push(tf.memory().numTensors) });
    await t.train();
    expect(counts).toHaveLength(6);
    expect(new Set(counts.slice(1)).size, `numTensors per step: ${counts}`).toBe(1);
    t.dispose();
    model.dispose();
  });

  it('names a row of unknown shape, and conversational rows without a renderer', () => {
    const model = new BigramPolicy(6, { seed: 2 });
    expect(() => new SFTTrainer({ model, tokenizer, trainDataset: [...rows, { question: 'ab' } as unknown as SFTRow] })).toThrow(/trainDataset\[8\] has none of the SFT row shapes/);
    expect(() => new SFTTrainer({ model, tokenizer, trainDataset: [{ messages: [{ role: 'user', content: 'ab' }] }] })).toThrow(/renderMessages/);
    expect(() => new SFTTrainer({ model, tokenizer, trainDataset: rows, config: { learning_rate: 1 } as never })).toThrow(/learning_rate/);
    model.dispose();
  });
});
