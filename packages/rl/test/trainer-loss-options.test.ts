/**
 * Every trainer option that changes the loss, turned on in a real GRPOTrainer run and checked against
 * an independent PyTorch computation (test/fixtures/make_option_fixtures.py → option-steps.json):
 * the step loss, d loss / d log-probs of every micro-batch, grad_norm, kl, clip ratios, rewards and
 * the table after each AdamW update. The policy is a table whose trainable variable is the per-token
 * log-probs (helpers/table-policy.ts), so its gradient is the gradient w.r.t. the log-probs.
 * Sampling options (temperature, topK, topP) only reach the loss through the sampled completions
 * (TRL computes log-probs with the temperature alone); the last test checks where each one goes.
 */
import type { RewardFunction } from '@grpojs/rewards';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GRPOConfigInput } from '../src/config.js';
import { GRPOTrainer } from '../src/trainer.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { TablePolicy } from './helpers/table-policy.js';

interface StepRef {
  loss: number;
  gradNorm: number;
  kl: number | null;
  /** null for the loss types without clip ratios (cispo, sapo, vespo). */
  clipLow: number | null;
  clipHigh: number | null;
  clipRegion: number | null;
  cispoClipRatio: number | null;
  phiSeqMean: number | null;
  zAfter: number[];
  micro: { rows: number[]; loss: number; gradLogProbs: number[] }[];
}
interface CaseRef {
  config: GRPOConfigInput & { numIterations: number; maskTruncatedCompletions: boolean };
  rewardTable: (number | null)[][];
  reward: number;
  rewardStd: number;
  keep: number[];
  microBatches: number;
  steps: StepRef[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/option-steps.json', import.meta.url), 'utf8')) as {
  inputs: { completions: number[][]; terminated: boolean[]; eos: number; maxLen: number; z: number[][]; ref: number[][] };
  cases: Record<string, CaseRef>;
};
const { inputs } = fixture;
const tokenizer = new CharTokenizer('abcde');
const silent = { warn: () => {}, info: () => {} };

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-rl-options-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Reward function k of the fixture: looks each completion up by its decoded text (null = not applicable). */
function scriptedReward(table: (number | null)[][], k: number): RewardFunction {
  const byText = new Map(inputs.completions.map((ids, i) => [tokenizer.decode(ids, { skipSpecialTokens: true }), table[k][i]]));
  const fn = (completions: string[]) =>
    completions.map((c) => {
      if (!byText.has(c)) throw new Error(`scripted reward: unexpected completion ${JSON.stringify(c)}`);
      return byText.get(c)!;
    });
  return Object.assign(fn, { rewardName: `scripted_${k}` });
}

interface Run {
  model: TablePolicy;
  metrics: Record<string, number>[];
  zAfter: number[][];
}

async function runCase(name: string, ref: CaseRef, extra: GRPOConfigInput = {}): Promise<Run> {
  const model = new TablePolicy(inputs.completions, inputs.z, inputs.ref, inputs.eos);
  const zAfter: number[][] = [];
  const trainer = new GRPOTrainer({
    model,
    tokenizer,
    rewardFunctions: [scriptedReward(ref.rewardTable, 0), scriptedReward(ref.rewardTable, 1)],
    trainDataset: [{ prompt: 'ab' }, { prompt: 'cd' }],
    config: {
      ...ref.config,
      ...extra,
      outputDir: join(root, name.replace(/[^\w.-]+/g, '_')),
      maxSteps: ref.steps.length,
      loggingSteps: 1,
      saveSteps: 0,
      evalSteps: 0,
      logCompletions: false,
      seed: 5,
    },
    onStep: () => {
      zAfter.push(Array.from(model.z.dataSync()));
    },
    logger: silent,
  });
  const result = await trainer.train();
  trainer.dispose();
  return { model, metrics: result.stepMetrics, zAfter };
}

function expectClose(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const worst = Math.max(0, ...expected.map((e, i) => Math.abs(actual[i] - e)));
  expect(worst, `${what}: largest |difference| from torch`).toBeLessThan(tol);
}

describe('GRPOTrainer options that change the loss, vs PyTorch', () => {
  for (const [name, ref] of Object.entries(fixture.cases)) {
    it(`${name}: step loss, d loss/d log-probs per micro-batch, grad_norm, kl, clip ratios, rewards and the update match torch`, async () => {
      const run = await runCase(name, ref);
      expect(run.metrics).toHaveLength(ref.steps.length);
      ref.steps.forEach((step, s) => {
        const m = run.metrics[s];
        expect(m.reward).toBeCloseTo(ref.reward, 6);
        expect(m.reward_std).toBeCloseTo(ref.rewardStd, 6);
        expect(m.loss, `step ${s + 1} loss`).toBeCloseTo(step.loss, 5);
        expect(m.grad_norm, `step ${s + 1} grad_norm`).toBeCloseTo(step.gradNorm, 5);
        if (step.kl === null) expect(m.kl).toBeUndefined();
        else expect(m.kl, `step ${s + 1} kl`).toBeCloseTo(step.kl, 6);
        const optional: [string, number | null][] = [
          ['clip_ratio/low_mean', step.clipLow],
          ['clip_ratio/high_mean', step.clipHigh],
          ['clip_ratio/region_mean', step.clipRegion],
          ['cispo_clip_ratio', step.cispoClipRatio],
          ['vespo/phi_seq_mean', step.phiSeqMean],
        ];
        for (const [metric, expected] of optional) {
          if (expected === null) expect(m[metric], `step ${s + 1} ${metric} is not logged`).toBeUndefined();
          else expect(m[metric], `step ${s + 1} ${metric}`).toBeCloseTo(expected, 6);
        }
        expect(m.skipped_nonfinite).toBe(0);
        // The gradient each micro-batch's forward received, row by row.
        const before = ref.steps.slice(0, s).reduce((n, st) => n + st.micro.length, 0);
        const captured = run.model.captured.slice(before, before + step.micro.length);
        expect(captured.map((c) => c.rows)).toEqual(step.micro.map((mb) => mb.rows));
        captured.forEach((c, k) => expectClose(c.gradLogProbs.flat(), step.micro[k].gradLogProbs, 2e-6, `step ${s + 1} micro-batch ${k} d loss/d logProbs`));
        expectClose(run.zAfter[s], step.zAfter, 2e-5, `step ${s + 1} table after AdamW`);
      });
      expect(run.model.captured).toHaveLength(ref.steps.reduce((n, st) => n + st.micro.length, 0));
      run.model.dispose();
    });
  }

  it('maskTruncatedCompletions: a truncated completion adds nothing to the loss or the gradients with the option on, and does without it', async () => {
    const truncated = inputs.terminated.flatMap((t, i) => (t ? [] : [i]));
    expect(truncated.length).toBeGreaterThan(0);
    const gradOf = (run: Run, row: number) => run.model.captured.flatMap((c) => c.rows.flatMap((r, i) => (r === row ? c.gradLogProbs[i] : [])));
    const on = await runCase('mask-on', fixture.cases.maskTruncatedCompletions);
    const off = await runCase('mask-off', fixture.cases.default);
    expect(fixture.cases.maskTruncatedCompletions.keep.filter((k) => k === 0)).toHaveLength(truncated.length);
    for (const row of truncated) {
      expect(gradOf(on, row).every((g) => g === 0), `row ${row} gradient with the option on`).toBe(true);
      expect(Math.max(...gradOf(off, row).map(Math.abs)), `row ${row} gradient with the option off`).toBeGreaterThan(1e-3);
      expect(on.zAfter[0].slice(row * inputs.maxLen, (row + 1) * inputs.maxLen)).toEqual(inputs.z[row].map((x) => Math.fround(x)));
    }
    expect(Math.abs(on.metrics[0].loss - off.metrics[0].loss)).toBeGreaterThan(1e-2);
    on.model.dispose();
    off.model.dispose();
  });

  it('temperature, topK and topP go to sampling; log-probs get the temperature only (TRL), so the loss given the samples is unchanged', async () => {
    const run = await runCase('sampling', fixture.cases.default, { temperature: 0.55, topK: 3, topP: 0.85 });
    expect(run.model.generateCalls).toHaveLength(1);
    expect(run.model.generateCalls[0]).toMatchObject({ temperature: 0.55, topK: 3, topP: 0.85, doSample: true, maxNewTokens: inputs.maxLen, eosTokenId: inputs.eos });
    const training = run.model.logProbCalls.filter((c) => c.training);
    expect(training.length).toBeGreaterThan(0);
    for (const call of run.model.logProbCalls) {
      expect(call.temperature).toBe(0.55);
      expect(Object.keys(call)).not.toContain('topK');
      expect(Object.keys(call)).not.toContain('topP');
    }
    expect(training.every((c) => c.withEntropy === true && Number.isInteger(c.seed))).toBe(true);
    // Given the sampled completions, topK/topP leave the loss and its gradients as torch computes them without.
    const ref = fixture.cases.default.steps[0];
    expect(run.metrics[0].loss).toBeCloseTo(ref.loss, 5);
    run.model.captured.forEach((c, k) => expectClose(c.gradLogProbs.flat(), ref.micro[k].gradLogProbs, 2e-6, `micro-batch ${k} with topK/topP`));
    // Defaults: topK null is passed as 0 (off), topP 1.
    const plain = await runCase('sampling-default', fixture.cases.default);
    expect(plain.model.generateCalls[0]).toMatchObject({ temperature: 0.7, topK: 0, topP: 1 });
    run.model.dispose();
    plain.model.dispose();
  });
});
