/**
 * The entropy bonus wired through GRPOTrainer on the bigram policy: tokenLogProbs is asked for a
 * differentiable entropy only when the bonus is on; each step's loss is policy_loss − c·entropy
 * (grpo: the micro-batches' shares add up to the mean of their token-mean entropies, the logged
 * `entropy`); the adaptive coefficient follows TRL's rule (no bonus on the first step, then +δ per
 * step below the target, capped) and is logged as `entropy_coef`; it survives a checkpoint; a
 * policy without entropies is refused; tensors stay flat. The formulas themselves are checked
 * against torch in entropy-bonus.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GRPOConfigInput } from '../src/config.js';
import type { PolicyLogProbsOptions } from '../src/policy-model.js';
import { GRPOTrainer } from '../src/trainer.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { ALPHABET, countReward, syntheticPrompts } from './helpers/synthetic-task.js';

const tokenizer = new CharTokenizer(ALPHABET);
const prompts = syntheticPrompts(32);
const quiet = { warn: () => {}, info: () => {} };
let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-entropy-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A bigram policy that records the options of every training tokenLogProbs call. */
class RecordingPolicy extends BigramPolicy {
  calls: PolicyLogProbsOptions[] = [];
  override tokenLogProbs(promptIds: number[][], completionIds: number[][], options: PolicyLogProbsOptions = {}) {
    if (options.training) this.calls.push(options);
    return super.tokenLogProbs(promptIds, completionIds, options);
  }
}

function trainer(name: string, extra: GRPOConfigInput, model = new RecordingPolicy(tokenizer.vocabSize, { seed: 5 }), counts: number[] = []) {
  const t = new GRPOTrainer({
    model,
    tokenizer,
    rewardFunctions: [countReward('a')],
    trainDataset: prompts,
    config: {
      outputDir: join(root, name),
      numGenerations: 4,
      perDeviceTrainBatchSize: 2,
      gradientAccumulationSteps: 2,
      maxCompletionLength: 6,
      learningRate: 0.05,
      lrSchedulerType: 'constant',
      loggingSteps: 1,
      saveSteps: 0,
      evalSteps: 0,
      logCompletions: false,
      ...extra,
    },
    onStep: () => {
      counts.push(tf.memory().numTensors);
    },
    logger: quiet,
  });
  return { t, model };
}

describe('GRPOTrainer with the entropy bonus', () => {
  it('off by default: no entropy gradient asked, no policy_loss or entropy_coef', async () => {
    const { t, model } = trainer('off', { maxSteps: 2 });
    const result = await t.train();
    expect(model.calls.length).toBeGreaterThan(0);
    expect(model.calls.every((o) => o.entropyGrad === undefined)).toBe(true);
    for (const m of result.stepMetrics) {
      expect(m).not.toHaveProperty('policy_loss');
      expect(m).not.toHaveProperty('entropy_coef');
    }
    t.dispose();
  });

  it('constant entropyCoef: loss = policy_loss − c·entropy each step, entropy differentiated, tensors flat', async () => {
    const c = 0.3;
    const counts: number[] = [];
    const { t, model } = trainer('constant', { maxSteps: 4, entropyCoef: c }, undefined, counts);
    const result = await t.train();
    expect(counts.length).toBe(4);
    expect(new Set(counts.slice(1)).size, `numTensors per step: ${counts}`).toBe(1);
    expect(model.calls.every((o) => o.entropyGrad === true && o.withEntropy === true)).toBe(true);
    for (const m of result.stepMetrics) {
      expect(m.entropy_coef).toBe(c);
      expect(Math.abs(m.loss - (m.policy_loss - c * m.entropy)), `step ${m.step}`).toBeLessThan(1e-6);
      expect(m.entropy).toBeGreaterThan(0.1);
    }
    t.dispose();
  });

  it('the bonus changes the update: the same run without it ends with other weights', async () => {
    const a = trainer('cmp-a', { maxSteps: 2 });
    const b = trainer('cmp-b', { maxSteps: 2, entropyCoef: 0.5 });
    await a.t.train();
    await b.t.train();
    const wa = a.model.trainableVariables().map((v) => Array.from(v.dataSync()));
    const wb = b.model.trainableVariables().map((v) => Array.from(v.dataSync()));
    const diff = Math.max(...wa.flatMap((w, i) => w.map((x, j) => Math.abs(x - wb[i][j]))));
    expect(diff).toBeGreaterThan(1e-4);
    a.t.dispose();
    b.t.dispose();
  });

  it('adaptive: no bonus on step 1, then the coefficient climbs by δ to the cap; tensors flat; a checkpoint keeps the controller', async () => {
    const options = { entropyCoef: 0.1, useAdaptiveEntropy: true, entropyTarget: 100, entropyCoefDelta: 0.05, entropyCoefMax: 0.2 };
    const counts: number[] = [];
    const { t } = trainer('adaptive', { maxSteps: 4, ...options }, undefined, counts);
    const result = await t.train();
    expect(new Set(counts.slice(1)).size, `numTensors per step: ${counts}`).toBe(1);
    const m = result.stepMetrics;
    expect(m.map((x) => x.entropy_coef)).toEqual([0.15000000000000002, 0.2, 0.2, 0.2]);
    // Step 1 applies nothing (no step measured yet); later steps apply the coefficient left by the previous one.
    expect(Math.abs(m[0].loss - m[0].policy_loss)).toBeLessThan(1e-6);
    for (let i = 1; i < m.length; i++) {
      expect(Math.abs(m[i].loss - (m[i].policy_loss - m[i - 1].entropy_coef * m[i].entropy)), `step ${i + 1}`).toBeLessThan(1e-6);
    }
    const path = await t.saveCheckpoint();
    t.dispose();
    const resumed = trainer('adaptive', { maxSteps: 5, ...options });
    await resumed.t.resume(path);
    expect(resumed.t['entropyControl']?.state()).toEqual({ entropyCoef: 0.2, lastWorldEntropy: expect.any(Number) });
    resumed.t.dispose();
  });

  it('a policy that returns no entropies is refused with a message naming the options', async () => {
    class NoEntropy extends BigramPolicy {
      override tokenLogProbs(p: number[][], c: number[][], o: PolicyLogProbsOptions = {}) {
        const out = super.tokenLogProbs(p, c, o);
        out.entropy?.dispose();
        delete out.entropy;
        return out;
      }
    }
    const { t } = trainer('refused', { maxSteps: 1, entropyCoef: 0.1 }, new NoEntropy(tokenizer.vocabSize, { seed: 5 }) as RecordingPolicy);
    await expect(t.train()).rejects.toThrow(/entropy bonus \(entropyCoef, useAdaptiveEntropy\)/);
    t.dispose();
  });
});
