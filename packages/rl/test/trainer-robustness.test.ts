/**
 * GRPOTrainer edge paths on the bigram policy: a NaN loss skips the update, evaluation reports
 * the fine-tuned and base model, zero-variance groups can be dropped, every loss type trains,
 * and bad reward functions or datasets get errors that name them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GRPOConfigInput } from '../src/config.js';
import type { AccuracyCheck } from '../src/evaluate.js';
import type { PolicyLogProbsOptions, PolicyLogProbsOutput } from '../src/policy-model.js';
import { GRPOTrainer } from '../src/trainer.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { gsm8kExactMatch } from './helpers/gsm8k-check.js';
import { ALPHABET, countReward, syntheticPrompts } from './helpers/synthetic-task.js';

const tokenizer = new CharTokenizer(ALPHABET);
const prompts = syntheticPrompts(32);
let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-rl-robust-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
const quiet = { warn: () => {}, info: () => {} };
const config = (dir: string, extra: GRPOConfigInput = {}): GRPOConfigInput => ({
  outputDir: join(root, dir),
  numGenerations: 4,
  perDeviceTrainBatchSize: 2,
  gradientAccumulationSteps: 2,
  maxCompletionLength: 6,
  learningRate: 0.05,
  loggingSteps: 2,
  saveSteps: 0,
  evalSteps: 0,
  logCompletions: false,
  ...extra,
});

/** The bigram policy with one training-mode log-prob pass poisoned with NaN (a diverging forward). */
class PoisonedPolicy extends BigramPolicy {
  trainingCalls = 0;
  constructor(vocab: number, private readonly poisonCall: number) {
    super(vocab, { seed: 11 });
  }
  override tokenLogProbs(p: number[][], c: number[][], o: PolicyLogProbsOptions = {}): PolicyLogProbsOutput {
    const out = super.tokenLogProbs(p, c, o);
    if (o.training && ++this.trainingCalls === this.poisonCall) {
      const poisoned = tf.mul(out.logProbs, Number.NaN) as tf.Tensor2D;
      out.logProbs.dispose();
      return { ...out, logProbs: poisoned };
    }
    return out;
  }
}

describe('GRPOTrainer robustness', () => {
  it('a NaN loss skips the optimizer update, warns, and later steps train normally', async () => {
    const model = new PoisonedPolicy(tokenizer.vocabSize, 5); // 2 micro-batches per step: call 5 = step 3
    const warnings: string[] = [];
    const snapshots: number[][] = [];
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('a')],
      trainDataset: prompts,
      config: config('nan', { maxSteps: 5, saveSteps: 3 }),
      logger: { warn: (m: string) => warnings.push(m), info: () => {} },
      onStep: () => {
        snapshots.push(Array.from(model.loraB.dataSync()));
      },
    });
    const result = await trainer.train();
    expect(result.stepMetrics.map((m) => m.skipped_nonfinite)).toEqual([0, 0, 1, 0, 0]);
    expect(Number.isNaN(result.stepMetrics[2].loss)).toBe(true);
    expect(snapshots[2]).toEqual(snapshots[1]); // no update at the NaN step
    expect(snapshots[3]).not.toEqual(snapshots[2]);
    expect(snapshots[4].every(Number.isFinite)).toBe(true);
    expect(result.skippedSteps).toBe(1);
    expect(warnings.join('\n')).toMatch(/step 3 skipped: loss NaN/);
    expect(await readdir(join(root, 'nan'))).toContain('checkpoint-3'); // saved, and finite
    trainer.dispose();
    model.dispose();
  });

  it('evaluate(): greedy accuracy from the answer column and reward means, for the model and the base (adapters off)', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 13 });
    // No completion of this alphabet contains <answer> tags, so the prediction is always "":
    // rows whose gold is "" are correct, the others are not (accuracy = 3/5).
    const evalDataset = syntheticPrompts(5, 3, 99).map((row, i) => ({ ...row, answer: i < 3 ? '' : '42' }));
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('d')],
      trainDataset: prompts,
      evalDataset,
      isCorrect: gsm8kExactMatch,
      config: config('eval', { maxSteps: 40, evalSteps: 20, perDeviceEvalBatchSize: 2, learningRate: 0.1 }),
      logger: quiet,
    });
    const before = await trainer.evaluate();
    expect(before.metrics.eval_accuracy).toBeCloseTo(3 / 5, 12);
    expect(before.metrics.eval_base_accuracy).toBeCloseTo(3 / 5, 12);
    expect(before.metrics['eval_rewards/count_d/mean']).toBe(before.metrics['eval_base_rewards/count_d/mean']); // B = 0
    const result = await trainer.train();
    expect(result.evalReports.map((r) => r.step)).toEqual([20, 40]);
    const last = result.evalReports[1];
    expect(last.model.samples).toBe(5);
    expect(last.base).toEqual(before.base); // base is cached and unchanged by training
    expect(last.metrics['eval_rewards/count_d/mean']).toBeGreaterThan(last.metrics['eval_base_rewards/count_d/mean'] + 1);
    expect(result.logHistory.some((l) => l.step === 40 && 'eval_accuracy' in l)).toBe(true);
    trainer.dispose();
    model.dispose();
  });

  it('evaluate(): accuracy is whatever isCorrect says of (completion, row); without a check there is none', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 13 });
    const evalDataset = syntheticPrompts(4, 3, 7).map((row, i) => ({ ...row, label: i % 4 === 0 ? 'right' : 'wrong' }));
    const seen: [string, unknown][] = [];
    const isCorrect: AccuracyCheck = (completion, row) => {
      seen.push([completion, row]);
      return 'label' in row && row.label === 'right';
    };
    const make = (check: AccuracyCheck | null | undefined) =>
      new GRPOTrainer({
        model,
        tokenizer,
        rewardFunctions: [countReward('d')],
        trainDataset: prompts,
        evalDataset,
        ...(check !== undefined ? { isCorrect: check } : {}),
        config: config('eval-check', { perDeviceEvalBatchSize: 3 }),
        logger: quiet,
      });
    const checked = make(isCorrect);
    const report = await checked.evaluate();
    expect(report.model.accuracy).toBe(1 / 4);
    expect(report.metrics.eval_accuracy).toBe(1 / 4);
    expect(report.metrics.eval_base_accuracy).toBe(1 / 4);
    // Called once per row, model and base, with the row itself and its decoded greedy completion.
    expect(seen).toHaveLength(8);
    seen.slice(0, 4).forEach(([, row], i) => expect(row).toBe(evalDataset[i]));
    for (const [completion] of seen) expect(completion).toMatch(/^[a-h]*$/);
    checked.dispose();
    for (const check of [null, undefined]) {
      const unchecked = make(check);
      const plain = await unchecked.evaluate();
      expect(plain.model.accuracy).toBeNull();
      expect(Object.keys(plain.metrics).filter((k) => k.includes('accuracy'))).toEqual([]);
      expect(plain.metrics['eval_rewards/count_d/mean']).toBe(report.metrics['eval_rewards/count_d/mean']);
      unchecked.dispose();
    }
    expect(() => make('exact' as never)).toThrow(/isCorrect must be a function \(completion, row\) => boolean, or null/);
    model.dispose();
  });

  it('dropZeroVarianceGroups drops groups whose rewards are all equal and skips a step with none left', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 17 });
    // reward depends only on the prompt: every group has zero variance
    const constant = Object.assign((_completions: string[], ctx: { prompts: string[] }) => ctx.prompts.map((p) => (p.startsWith('a') ? 1 : 0)), {
      rewardName: 'prompt_only',
    });
    const before = Array.from(model.loraA.dataSync());
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [constant as never],
      trainDataset: prompts,
      config: config('drop', { maxSteps: 3, dropZeroVarianceGroups: true }),
      logger: quiet,
    });
    const result = await trainer.train();
    expect(result.stepMetrics.map((m) => m.frac_groups_dropped)).toEqual([1, 1, 1]);
    expect(result.stepMetrics.every((m) => !('loss' in m))).toBe(true);
    expect(Array.from(model.loraA.dataSync())).toEqual(before);
    trainer.dispose();

    const mixed = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('e')],
      trainDataset: prompts,
      config: config('drop2', { maxSteps: 4, dropZeroVarianceGroups: true, maxCompletionLength: 3 }),
      logger: quiet,
    });
    const r2 = await mixed.train();
    const dropped = r2.stepMetrics.map((m) => m.frac_groups_dropped);
    // every group has numGenerations rows, so the share of dropped groups = the share of zero-std rows
    expect(dropped).toEqual(r2.stepMetrics.map((m) => m.frac_reward_zero_std));
    expect(dropped.some((d) => d > 0 && d < 1)).toBe(true);
    expect(r2.stepMetrics.filter((m) => m.frac_groups_dropped < 1).every((m) => Number.isFinite(m.loss))).toBe(true);
    mixed.dispose();
    model.dispose();
  });

  for (const lossType of ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const) {
    it(`trains with lossType ${lossType} and scaleRewards batch, beta 0 (no reference pass)`, async () => {
      const model = new BigramPolicy(tokenizer.vocabSize, { seed: 19 });
      let referenceCalls = 0;
      const original = model.withAdaptersDisabled.bind(model);
      model.withAdaptersDisabled = <T>(fn: () => T): T => {
        referenceCalls++;
        return original(fn);
      };
      const trainer = new GRPOTrainer({
        model,
        tokenizer,
        rewardFunctions: [countReward('f')],
        trainDataset: prompts,
        config: config(`loss-${lossType}`, { maxSteps: 3, lossType, scaleRewards: 'batch', beta: 0 }),
        logger: quiet,
      });
      const result = await trainer.train();
      expect(result.stepMetrics.every((m) => Number.isFinite(m.loss) && m.grad_norm > 0)).toBe(true);
      expect(result.stepMetrics.every((m) => !('kl' in m))).toBe(true);
      expect(referenceCalls).toBe(0);
      trainer.dispose();
      model.dispose();
    });
  }

  it('trains with GSPO sequence-level importance ratios and numIterations 2 (clipping active)', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 53 });
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('a')],
      trainDataset: prompts,
      config: config('gspo', { maxSteps: 6, importanceSamplingLevel: 'sequence', numIterations: 2, learningRate: 0.3, epsilon: 0.05 }),
      logger: quiet,
    });
    const result = await trainer.train();
    expect(result.stepMetrics.every((m) => Number.isFinite(m.loss) && m.grad_norm > 0)).toBe(true);
    // the second iteration of a batch sees ratios ≠ 1, and with one ratio per row clipping acts per completion
    expect(result.stepMetrics.filter((_, i) => i % 2 === 1).some((m) => m['clip_ratio/region_mean'] > 0)).toBe(true);
    expect(result.stepMetrics.filter((_, i) => i % 2 === 0).every((m) => m['clip_ratio/region_mean'] === 0)).toBe(true);
    trainer.dispose();
    model.dispose();
  });

  it('names a reward function that returns the wrong number of values, and a bad dataset row', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 23 });
    const bad = Object.assign(() => [1], { rewardName: 'too_short' });
    const trainer = new GRPOTrainer({ model, tokenizer, rewardFunctions: [bad], trainDataset: prompts, config: config('bad', { maxSteps: 1 }), logger: quiet });
    await expect(trainer.train()).rejects.toThrow(/Reward function "too_short" returned 1 values for 16 completions/);
    trainer.dispose();
    expect(
      () => new GRPOTrainer({ model, tokenizer, rewardFunctions: [bad], trainDataset: [{ prompt: 'ab' }, { text: 'x' } as never], config: config('bad2') }),
    ).toThrow(/row 1 has no string prompt/);
    expect(() => new GRPOTrainer({ model, tokenizer: undefined as never, rewardFunctions: [bad], trainDataset: prompts })).toThrow(/pass model.tokenizer/);
    expect(() => new GRPOTrainer({ model, tokenizer, rewardFunctions: [bad], trainDataset: prompts, config: { rewardWeights: [1, 2] } })).toThrow(
      /rewardWeights has 2 entries for 1 reward functions/,
    );
    model.dispose();
  });
});

describe('GRPOTrainer with a real tracker', () => {
  it('RunDirTracker receives averaged metrics every loggingSteps, completions, the eval metrics and the run config (runConfig under the trainer fields)', async () => {
    const { RunDirTracker, readRunDir } = await import('@grpojs/tracking');
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 29 });
    const runDir = join(root, 'run-dir');
    const tracker = new RunDirTracker({ dir: runDir, report: false, warn: () => {} });
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('g')],
      trainDataset: prompts,
      evalDataset: syntheticPrompts(3, 3, 5).map((r) => ({ ...r, answer: '' })),
      isCorrect: gsm8kExactMatch,
      tracker,
      runConfig: { model: 'bigram', promptFormat: 'seed', learningRate: 1 },
      config: config('tracked', { maxSteps: 4, loggingSteps: 2, evalSteps: 4, logCompletions: true, numCompletionsToPrint: 3 }),
      logger: quiet,
    });
    const result = await trainer.train();
    const run = await readRunDir(runDir);
    const runConfig = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8')).config;
    expect(runConfig).toMatchObject({ model: 'bigram', promptFormat: 'seed', learningRate: 0.05, maxSteps: 4 }); // the trainer's fields win
    const trainRows = run.metrics.filter((m) => 'loss' in m);
    expect(trainRows.map((m) => m.step)).toEqual([2, 4]);
    const mean12 = (result.stepMetrics[0].reward + result.stepMetrics[1].reward) / 2;
    expect(trainRows[0].reward).toBeCloseTo(mean12, 12);
    expect(run.metrics.some((m) => m.step === 4 && m.eval_accuracy === 1)).toBe(true);
    expect(run.completions.length).toBe(6); // 3 per log, 2 logs
    expect(run.completions[0]).toMatchObject({ step: 2 });
    for (const c of run.completions) {
      const r = (c.rewards as Record<string, number>).count_g; // the count of 'g' in at most 6 tokens: finite, an integer in [0, 6]
      expect(Number.isInteger(r) && r >= 0 && r <= 6, `count_g = ${r}`).toBe(true);
    }
    const local = (await readFile(join(root, 'tracked', 'completions.jsonl'), 'utf8')).trim().split('\n');
    expect(local.length).toBe(2 * 16); // every row of the logged steps' generation batches
    trainer.dispose();
    model.dispose();
  });
});

describe('GRPOTrainer stopping and checkpoint rotation', () => {
  it('an aborted signal stops after the current step with a checkpoint; saveTotalLimit keeps the newest', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 43 });
    const controller = new AbortController();
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('h')],
      trainDataset: prompts,
      config: config('abort', { maxSteps: 20, saveSteps: 2, saveTotalLimit: 2 }),
      onStep: (step) => {
        if (step === 7) controller.abort();
      },
      logger: quiet,
    });
    const result = await trainer.train({ signal: controller.signal });
    expect(result.globalStep).toBe(7);
    expect(result.completed).toBe(false);
    expect(result.lastCheckpoint).toMatch(/checkpoint-7$/);
    expect((await readdir(join(root, 'abort'))).filter((n) => n.startsWith('checkpoint-')).sort()).toEqual(['checkpoint-6', 'checkpoint-7']);
    trainer.dispose();
    model.dispose();
  });

  it('warns when every reward function returns null for a completion (advantage 0)', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 47 });
    const warnings: string[] = [];
    const sometimes = Object.assign((c: string[]) => c.map((x, i) => (i % 4 === 0 ? null : x.length)), { rewardName: 'sometimes' });
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [sometimes],
      trainDataset: prompts,
      config: config('nulls', { maxSteps: 1 }),
      logger: { warn: (m: string) => warnings.push(m), info: () => {} },
    });
    const result = await trainer.train();
    expect(warnings.join('\n')).toMatch(/returned null for 4 completion\(s\)/);
    expect(Number.isFinite(result.stepMetrics[0]['rewards/sometimes/mean'])).toBe(true);
    trainer.dispose();
    model.dispose();
  });
});

describe('GRPOTrainer learning_rate metric', () => {
  it('logs the rate after the scheduler step, as HF Trainer (linear decay over 4 steps)', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 59 });
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('b')],
      trainDataset: prompts,
      config: config('lr', { maxSteps: 4, learningRate: 0.1, lrSchedulerType: 'linear' }),
      logger: quiet,
    });
    const result = await trainer.train();
    const lrs = result.stepMetrics.map((m) => m.learning_rate);
    [0.075, 0.05, 0.025, 0].forEach((v, i) => expect(lrs[i]).toBeCloseTo(v, 12));
    trainer.dispose();
    model.dispose();
  });
});

describe('MetricsWindow', () => {
  it('averages per-step metrics (NaN skipped) and keeps the latest learning_rate, epoch, num_tokens, grad_norm', async () => {
    const { MetricsWindow } = await import('../src/metrics.js');
    const w = new MetricsWindow();
    w.add({ loss: 1, reward: Number.NaN, grad_norm: 5, learning_rate: 0.3, epoch: 0.1, num_tokens: 10 });
    w.add({ loss: 3, reward: 2, grad_norm: 7, learning_rate: 0.2, epoch: 0.2, num_tokens: 25 });
    expect(w.flush()).toEqual({ loss: 2, reward: 2, grad_norm: 7, learning_rate: 0.2, epoch: 0.2, num_tokens: 25 });
    expect(w.size).toBe(0);
  });
});
