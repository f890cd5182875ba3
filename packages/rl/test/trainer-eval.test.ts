/**
 * Periodic evaluation on the bigram policy: the tracker sees an evaluation's progress (completions
 * done/total, the base model's counted until it is cached) and an ETA estimate that includes the
 * evaluations to come; with periodicEvalSamples the periodic evaluations use the same seeded sample
 * of rows each time and the final one every row, and `eval_samples` says how many rows each used.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EvalProgress, ProgressEstimate, Tracker } from '@grpojs/tracking';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GRPOConfigInput } from '../src/config.js';
import { EvalPlan, evaluationsFrom, periodicEvalIndices } from '../src/eval-plan.js';
import { GRPOTrainer } from '../src/trainer.js';
import type { PromptRow } from '../src/types.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { ALPHABET, countReward, syntheticPrompts } from './helpers/synthetic-task.js';

const tokenizer = new CharTokenizer(ALPHABET);
const prompts = syntheticPrompts(16);
/** Ten eval rows with an id column, so a test can tell which rows an evaluation scored. */
const evalRows: PromptRow[] = syntheticPrompts(10, 4, 11).map((row, id) => ({ ...row, id }));
const quiet = { warn: () => {}, info: () => {} };
let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-rl-eval-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const config = (dir: string, extra: GRPOConfigInput = {}): GRPOConfigInput => ({
  outputDir: join(root, dir),
  numGenerations: 2,
  perDeviceTrainBatchSize: 2,
  gradientAccumulationSteps: 2,
  maxCompletionLength: 4,
  learningRate: 0.05,
  maxSteps: 4,
  saveSteps: 0,
  evalSteps: 2,
  perDeviceEvalBatchSize: 4,
  loggingSteps: 1,
  logCompletions: false,
  ...extra,
});

/** A tracker that records what the trainer reports between logs. */
class RecordingTracker implements Tracker {
  readonly evals: EvalProgress[] = [];
  readonly progress_: { step: number; estimate: ProgressEstimate | undefined }[] = [];
  async init(): Promise<void> {}
  async log(): Promise<void> {}
  async logCompletions(): Promise<void> {}
  async summary(): Promise<void> {}
  async finish(): Promise<void> {}
  progress(step: number, estimate?: ProgressEstimate): void {
    this.progress_.push({ step, estimate });
  }
  evalProgress(progress: EvalProgress): void {
    this.evals.push(progress);
  }
}

/** Trains with `extra` config; returns the result, the tracker, and the ids of the rows each evaluation scored. */
async function run(dir: string, extra: GRPOConfigInput = {}) {
  const model = new BigramPolicy(tokenizer.vocabSize, { seed: 3 });
  const tracker = new RecordingTracker();
  const scored: number[][] = [];
  let current: number[] = [];
  const trainer = new GRPOTrainer({
    model, tokenizer, rewardFunctions: [countReward('b')], trainDataset: prompts, evalDataset: evalRows, tracker, logger: quiet,
    // Called once per row and model evaluated.
    isCorrect: (_completion, row) => {
      current.push((row as PromptRow).id as number);
      return false;
    },
    config: config(dir, extra),
  });
  const original = trainer['evaluateAndLog'].bind(trainer);
  (trainer as unknown as { evaluateAndLog: typeof original }).evaluateAndLog = async (signal) => {
    current = [];
    const report = await original(signal);
    scored.push([...new Set(current)].sort((a, b) => a - b));
    return report;
  };
  const result = await trainer.train();
  trainer.dispose();
  model.dispose();
  return { result, tracker, scored };
}

describe('evaluation progress and ETA', () => {
  it('reports each evaluation from 0 to its total, the base model counted until it is cached', async () => {
    const { result, tracker } = await run('progress');
    const at = (step: number) => tracker.evals.filter((e) => e.step === step);
    // Step 2 (periodic): 10 rows, fine-tuned then base, 4 rows per generate call.
    expect(at(2).map((e) => [e.done, e.total, e.rows, e.final])).toEqual(
      [0, 4, 8, 10, 14, 18, 20].map((done) => [done, 20, 10, false]),
    );
    // Step 4 (final): the base model's scores on these rows are cached.
    expect(at(4).map((e) => [e.done, e.total, e.final])).toEqual([0, 4, 8, 10].map((done) => [done, 10, true]));
    expect(tracker.evals.every((e, i) => i === 0 || e.done === 0 || e.seconds >= tracker.evals[i - 1].seconds)).toBe(true);
    expect(result.evalReports.map((r) => r.metrics.eval_samples)).toEqual([10, 10]);
  });

  it('gives the tracker the expected seconds of the evaluations to come: estimated from rollouts, then measured', async () => {
    const { result, tracker } = await run('eta');
    const estimates = tracker.progress_;
    // After each step (1…4) and after each evaluation (2, 4).
    expect(estimates.map((p) => p.step)).toEqual([1, 2, 2, 3, 4, 4]);
    expect(estimates.every((p) => p.estimate !== undefined)).toBe(true);
    const left = estimates.map((p) => p.estimate?.evalSecondsLeft ?? NaN);
    expect(left[0]).toBeGreaterThan(0); // before any evaluation: from the rollouts
    // After the step-2 evaluation (20 completions in report.seconds): the final one's 10 completions at that rate.
    const measured = result.evalReports[0].seconds / 20;
    expect(left[2]).toBeCloseTo(10 * measured, 9);
    expect(left[3]).toBeCloseTo(10 * measured, 9);
    expect(left[5]).toBe(0); // nothing left after the final evaluation
  });
});

describe('periodicEvalSamples', () => {
  it('evaluates the same seeded sample at every periodic evaluation and every row at the final one', async () => {
    const { result, scored, tracker } = await run('sampled', { periodicEvalSamples: 4, evalSteps: 1 });
    const sample = periodicEvalIndices(10, 4, 42);
    expect(sample).toHaveLength(4);
    expect(scored).toEqual([sample, sample, sample, Array.from({ length: 10 }, (_, i) => i)]);
    expect(result.evalReports.map((r) => r.metrics.eval_samples)).toEqual([4, 4, 4, 10]);
    // The base model runs once on the sample and once on every row.
    expect(tracker.evals.filter((e) => e.done === 0).map((e) => [e.step, e.total, e.final])).toEqual([
      [1, 8, false],
      [2, 4, false],
      [3, 4, false],
      [4, 20, true],
    ]);
    expect(result.evalReports[3].base.samples).toBe(10);
  });

  it('keeps the cached base scores of the sample across a resume, and recomputes them when the sample size changes', async () => {
    const resumed = async (samples: number) => {
      const dir = `resume-${samples}`;
      const models = [new BigramPolicy(tokenizer.vocabSize, { seed: 3 }), new BigramPolicy(tokenizer.vocabSize, { seed: 3 })];
      const first = new GRPOTrainer({
        model: models[0], tokenizer, rewardFunctions: [countReward('b')], trainDataset: prompts, evalDataset: evalRows, logger: quiet,
        config: config(dir, { periodicEvalSamples: 4, evalSteps: 1 }),
      });
      await first.train({ stopAfterStep: 1 }); // evaluates at step 1 (sample and its base) and saves checkpoint-1
      first.dispose();
      const tracker = new RecordingTracker();
      const second = new GRPOTrainer({
        model: models[1], tokenizer, rewardFunctions: [countReward('b')], trainDataset: prompts, evalDataset: evalRows, logger: quiet, tracker,
        config: config(dir, { periodicEvalSamples: samples, evalSteps: 1 }),
      });
      await second.resume('latest');
      await second.train({ stopAfterStep: 2 });
      second.dispose();
      models.forEach((m) => m.dispose());
      return tracker.evals.filter((e) => e.done === 0).map((e) => [e.step, e.rows, e.total]);
    };
    expect(await resumed(4)).toEqual([[2, 4, 4]]); // base cached
    expect(await resumed(3)).toEqual([[2, 3, 6]]); // another sample: its base is evaluated
  });

  it('keeps the reference semantics by default: every row at every evaluation', async () => {
    const { scored } = await run('default', { evalSteps: 1 });
    expect(scored).toEqual([0, 1, 2, 3].map(() => Array.from({ length: 10 }, (_, i) => i)));
  });

  it('draws the sample from the seed: ascending, distinct, another seed another sample, all rows when not smaller', () => {
    const a = periodicEvalIndices(1319, 200, 42);
    expect(a).toEqual(periodicEvalIndices(1319, 200, 42));
    expect(new Set(a).size).toBe(200);
    expect(a).toEqual([...a].sort((x, y) => x - y));
    expect(a).not.toEqual(periodicEvalIndices(1319, 200, 43));
    expect(periodicEvalIndices(5, null, 42)).toEqual([0, 1, 2, 3, 4]);
    expect(periodicEvalIndices(5, 9, 42)).toEqual([0, 1, 2, 3, 4]);
  });

  it('counts the evaluations and completions still to come', () => {
    expect(evaluationsFrom(1, 100, 20)).toEqual({ periodic: 4, final: true }); // 20, 40, 60, 80, then 100
    expect(evaluationsFrom(21, 100, 20)).toEqual({ periodic: 3, final: true });
    expect(evaluationsFrom(100, 100, 20)).toEqual({ periodic: 0, final: true });
    expect(evaluationsFrom(101, 100, 20)).toEqual({ periodic: 0, final: false });
    expect(evaluationsFrom(1, 100, 0)).toEqual({ periodic: 0, final: true });
    const rows = Array.from({ length: 1319 }, (_, i) => ({ prompt: `q${i}` }));
    // The reference job: 93 periodic evaluations of 1319 rows (+ the base once) and the final one, base cached.
    expect(new EvalPlan(rows, null, 42).completionsFrom(1, 1868, 20, { periodic: false, full: false })).toBe(1319 * 94 + 1319);
    // Sampled: 93 × 200 (+ the base once on the sample), then 1319 × 2 at the end.
    expect(new EvalPlan(rows, 200, 42).completionsFrom(1, 1868, 20, { periodic: false, full: false })).toBe(200 * 94 + 1319 * 2);
  });
});
