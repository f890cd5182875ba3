/**
 * The trainer with a sampler whose log-probs differ from the trainer's by a known offset δ (a stand-in
 * for a server's numerics): TRL's sampling/* metrics are exactly what δ implies, the run is
 * reproducible across a resume in the middle of a reused generation batch (the importance weights
 * are checkpointed with it), tensors do not accumulate, and turning the correction off gives the
 * in-process run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GRPOConfigInput } from '../../src/config.js';
import { TIMING_METRICS } from '../../src/metrics.js';
import type { RolloutBackend, SampleRequest, SampleResult } from '../../src/rollout/backend.js';
import { LocalRollout } from '../../src/rollout/local.js';
import { GRPOTrainer } from '../../src/trainer.js';
import { BigramPolicy } from '../helpers/bigram-policy.js';
import { CharTokenizer } from '../helpers/char-tokenizer.js';
import { ALPHABET, countReward, syntheticPrompts } from '../helpers/synthetic-task.js';

const tokenizer = new CharTokenizer(ALPHABET);
const prompts = syntheticPrompts(32);
const quiet = { warn: () => {}, info: () => {} };
const TEMPERATURE = 0.8;
/** The sampler's log-prob of token t of row i is the trainer's + δ(i, t). */
const delta = (i: number, t: number) => 0.05 * Math.sin(7 * i + 3 * t + 1);

/** Samples in process, then reports the model's own log-probs shifted by δ, as a server with other numerics would. */
class SkewedSampler implements RolloutBackend {
  readonly kind = 'server';
  readonly versions: number[] = [];
  readonly deltas: number[][] = [];
  private readonly local: LocalRollout;
  constructor(private readonly model: BigramPolicy) {
    this.local = new LocalRollout(model);
  }
  async syncPolicy(version: number): Promise<void> {
    this.versions.push(version);
  }
  async sample(request: SampleRequest): Promise<SampleResult> {
    const out = await this.local.sample(request);
    const rows = request.promptIds.flatMap((p) => Array.from({ length: request.numGenerations }, () => p));
    const lp = this.model.tokenLogProbs(rows, out.completionIds, { temperature: TEMPERATURE });
    const values = lp.logProbs.arraySync();
    tf.dispose([lp.logProbs, lp.mask]);
    this.deltas.push(...out.completionIds.map((ids, i) => ids.map((_, t) => delta(i, t))));
    return { ...out, samplerLogProbs: out.completionIds.map((ids, i) => ids.map((_, t) => values[i][t] + delta(i, t))) };
  }
  async close(): Promise<void> {}
}

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-sampler-'));
});

function config(dir: string, extra: GRPOConfigInput = {}): GRPOConfigInput {
  return {
    outputDir: join(root, dir), numGenerations: 4, perDeviceTrainBatchSize: 2, gradientAccumulationSteps: 2, maxCompletionLength: 6,
    learningRate: 0.05, lrSchedulerType: 'constant', temperature: TEMPERATURE, loggingSteps: 2, saveSteps: 0, evalSteps: 0, logCompletions: false,
    vllmImportanceSamplingMode: 'token_truncate', ...extra,
  };
}

const withoutTiming = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([k]) => !TIMING_METRICS.has(k)));

function make(dir: string, extra: GRPOConfigInput = {}, skewed = true, onStep?: () => void) {
  const model = new BigramPolicy(tokenizer.vocabSize, { seed: 4 });
  const sampler = new SkewedSampler(model);
  const trainer = new GRPOTrainer({
    model, tokenizer, rewardFunctions: [countReward('c')], trainDataset: prompts, config: config(dir, extra), logger: quiet,
    ...(skewed ? { rollout: sampler } : {}), ...(onStep ? { onStep } : {}),
  });
  return { model, sampler, trainer };
}

describe('GRPOTrainer with a sampler that reports other log-probs', () => {
  it('logs TRL\'s sampling/* metrics as δ implies, syncs the policy version before each batch, keeps numTensors flat', async () => {
    const counts: number[] = [];
    const run = make('metrics', { maxSteps: 4 }, true, () => void counts.push(tf.memory().numTensors));
    const result = await run.trainer.train();
    expect(run.sampler.versions).toEqual([0, 1, 2, 3]);
    expect(new Set(counts.slice(1)).size).toBe(1);
    result.stepMetrics.forEach((m, s) => {
      const d = run.sampler.deltas.slice(s * 16, (s + 1) * 16).flat().map(Math.abs);
      // |old − sampler| = |δ| up to the float32 rounding of the log-probs.
      expect(Math.abs(m['sampling/sampling_logp_difference/mean'] - d.reduce((a, b) => a + b, 0) / d.length)).toBeLessThan(1e-6);
      expect(Math.abs(m['sampling/sampling_logp_difference/max'] - Math.max(...d))).toBeLessThan(1e-6);
      // token_truncate: ρ = exp(−δ) per token, min/max at the extreme offsets (all below the cap 3).
        const signed = run.sampler.deltas.slice(s * 16, (s + 1) * 16).flat();
      expect(Math.abs(m['sampling/importance_sampling_ratio/max'] - Math.exp(-Math.min(...signed)))).toBeLessThan(1e-5);
      expect(Math.abs(m['sampling/importance_sampling_ratio/min'] - Math.exp(-Math.max(...signed)))).toBeLessThan(1e-5);
    });
    run.trainer.dispose();
    run.model.dispose();
  });

  it('a resume in the middle of a reused generation batch (numIterations 2) reproduces the uninterrupted run exactly', async () => {
    const extra = { maxSteps: 6, numIterations: 2, saveSteps: 3 };
    const full = make('full', extra);
    const fullResult = await full.trainer.train();
    const first = make('resumed', extra);
    await first.trainer.train({ stopAfterStep: 3 });
    const second = make('resumed', extra);
    await second.trainer.resume('latest');
    const resumed = await second.trainer.train();
    expect(resumed.stepMetrics.map(withoutTiming)).toEqual(fullResult.stepMetrics.slice(3).map(withoutTiming));
    expect(resumed.stepMetrics[0]['sampling/importance_sampling_ratio/mean']).toBeDefined();
    expect(Array.from(second.model.loraB.dataSync())).toEqual(Array.from(full.model.loraB.dataSync()));
    for (const r of [full, first, second]) {
      r.trainer.dispose();
      r.model.dispose();
    }
  });

  it('with the correction off, no sampling/* metric and the same update as sampling in process', async () => {
    const off = make('off', { maxSteps: 3, vllmImportanceSamplingCorrection: false });
    const local = make('local', { maxSteps: 3 }, false);
    const offResult = await off.trainer.train();
    const localResult = await local.trainer.train();
    expect(Object.keys(offResult.stepMetrics[0]).some((k) => k.startsWith('sampling/'))).toBe(false);
    expect(offResult.stepMetrics.map(withoutTiming)).toEqual(localResult.stepMetrics.map(withoutTiming));
    expect(Array.from(off.model.loraB.dataSync())).toEqual(Array.from(local.model.loraB.dataSync()));
    for (const r of [off, local]) {
      r.trainer.dispose();
      r.model.dispose();
    }
  });

  it('with the correction on, the update differs from the in-process one (the weights matter)', async () => {
    const on = make('on', { maxSteps: 3 });
    const local = make('local2', { maxSteps: 3 }, false);
    await on.trainer.train();
    await local.trainer.train();
    const a = Array.from(on.model.loraB.dataSync());
    const b = Array.from(local.model.loraB.dataSync());
    expect(Math.max(...a.map((x, i) => Math.abs(x - b[i])))).toBeGreaterThan(1e-6);
    for (const r of [on, local]) {
      r.trainer.dispose();
      r.model.dispose();
    }
  });
});
