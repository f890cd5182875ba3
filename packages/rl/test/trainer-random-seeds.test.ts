/**
 * Per-micro-batch and per-step randomness of GRPOTrainer: LoRA dropout masks and sampling must
 * DIFFER where TRL's would (each micro-batch of a step, each step, each of numIterations passes over
 * one batch, each generation batch's sampling) and REPEAT where a reproducible run needs them to
 * (same seed, same step and micro-batch; a resumed run). The first part records the seeds the
 * trainer passes to the model; the second shows, on a tiny GPT-2 with LoRA dropout, that those
 * seeds give different dropout masks (different LoRA gradients on a fixed input) and that one seed
 * always gives the same mask.
 */
import { initBackend, loadCausalLM, makeGPT2Config, writeRandomGPT2Checkpoint, type CausalLM } from '@grpojs/model';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GRPOConfigInput } from '../src/config.js';
import type { PolicyModel } from '../src/policy-model.js';
import { GRPOTrainer } from '../src/trainer.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { ALPHABET, countReward, lengthReward, syntheticPrompts } from './helpers/synthetic-task.js';

const tokenizer = new CharTokenizer(ALPHABET);
const silent = { warn: () => {}, info: () => {} };
const MICRO = 3;
const ITERATIONS = 2;
const STEPS = 4;

let root: string;
beforeAll(async () => {
  await initBackend();
  root = await mkdtemp(join(tmpdir(), 'grpojs-rl-seeds-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Seeds a model received: one entry per training forward (dropout) and per generate call (sampling). */
interface SeedLog {
  dropout: number[];
  sampling: number[];
}

/** Wraps `model` so that every seed the trainer passes is recorded. */
function recordSeeds<M extends PolicyModel>(model: M): SeedLog {
  const log: SeedLog = { dropout: [], sampling: [] };
  const tokenLogProbs = model.tokenLogProbs.bind(model);
  const generate = model.generate.bind(model);
  model.tokenLogProbs = (p, c, o) => {
    if (o?.training) {
      expect(Number.isInteger(o.seed), 'a training forward gets an integer dropout seed').toBe(true);
      log.dropout.push(o.seed!);
    }
    return tokenLogProbs(p, c, o);
  };
  model.generate = async (p, o) => {
    expect(Number.isInteger(o.seed), 'a sampling generate call gets an integer seed').toBe(true);
    log.sampling.push(o.seed!);
    return generate(p, o);
  };
  return log;
}

const bigramConfig = (outputDir: string, extra: GRPOConfigInput = {}): GRPOConfigInput => ({
  outputDir, maxSteps: STEPS, numGenerations: 2, perDeviceTrainBatchSize: 1, gradientAccumulationSteps: MICRO,
  numIterations: ITERATIONS, maxCompletionLength: 4, learningRate: 0.05, beta: 0.04, saveSteps: 2, loggingSteps: 1,
  evalSteps: 0, logCompletions: false, seed: 11, ...extra,
});

/** Trains the bigram policy (optionally stopping, or resuming the latest checkpoint) and returns the seeds it saw. */
async function bigramRun(outputDir: string, o: { stopAfterStep?: number; resume?: boolean; extra?: GRPOConfigInput } = {}): Promise<SeedLog> {
  const model = new BigramPolicy(tokenizer.vocabSize, { seed: 3 });
  const log = recordSeeds(model);
  const trainer = new GRPOTrainer({
    model,
    tokenizer,
    rewardFunctions: [countReward('c'), lengthReward()],
    trainDataset: syntheticPrompts(2 * MICRO * 2),
    config: bigramConfig(outputDir, o.extra),
    logger: silent,
  });
  if (o.resume) await trainer.resume('latest');
  await trainer.train(o.stopAfterStep === undefined ? {} : { stopAfterStep: o.stopAfterStep });
  trainer.dispose();
  model.dispose();
  return log;
}

const distinct = (xs: readonly number[]) => new Set(xs).size;

describe('seeds the trainer derives (bigram policy)', () => {
  it('dropout seeds differ between the micro-batches of a step, between steps and between the passes over one batch; sampling seeds differ per generation batch', async () => {
    const log = await bigramRun(join(root, 'differ'));
    expect(log.dropout).toHaveLength(STEPS * MICRO);
    for (let s = 0; s < STEPS; s++) {
      expect(distinct(log.dropout.slice(s * MICRO, (s + 1) * MICRO)), `step ${s + 1}: one dropout seed per micro-batch`).toBe(MICRO);
    }
    // Steps 1 and 2 reuse one generation batch (numIterations 2): micro-batch m must still get new masks.
    for (let m = 0; m < MICRO; m++) expect(log.dropout[MICRO + m], `micro-batch ${m}, second pass`).not.toBe(log.dropout[m]);
    expect(distinct(log.dropout), 'every (step, micro-batch) has its own seed').toBe(STEPS * MICRO);
    expect(log.sampling).toHaveLength(STEPS / ITERATIONS);
    expect(distinct(log.sampling)).toBe(STEPS / ITERATIONS);
    expect(log.dropout).not.toEqual(expect.arrayContaining(log.sampling));
  });

  it('the same config seed repeats every seed; another config seed changes them all', async () => {
    const a = await bigramRun(join(root, 'repeat-a'));
    const b = await bigramRun(join(root, 'repeat-b'));
    expect(b).toEqual(a);
    const other = await bigramRun(join(root, 'repeat-c'), { extra: { seed: 12 } });
    expect(other.dropout.filter((s) => a.dropout.includes(s))).toEqual([]);
    expect(other.sampling.filter((s) => a.sampling.includes(s))).toEqual([]);
  });

  it('a run stopped after step 2 and resumed in a fresh trainer derives the uninterrupted run\'s seeds for steps 3–4', async () => {
    const full = await bigramRun(join(root, 'full'));
    const first = await bigramRun(join(root, 'split'), { stopAfterStep: 2 });
    const resumed = await bigramRun(join(root, 'split'), { resume: true });
    expect(first.dropout).toEqual(full.dropout.slice(0, 2 * MICRO));
    expect(resumed.dropout).toEqual(full.dropout.slice(2 * MICRO));
    expect([...first.sampling, ...resumed.sampling]).toEqual(full.sampling);
  });
});

describe('LoRA dropout masks and sampling on a tiny GPT-2', () => {
  const prompts = [[1, 2, 3], [4, 5, 6]];
  const completions = [[7, 1, 0], [2, 2, 5]];

  async function tinyLM(): Promise<CausalLM> {
    const dir = join(root, 'tiny-gpt2');
    const config = makeGPT2Config({ vocabSize: tokenizer.vocabSize, nPositions: 32, nEmbd: 16, nLayer: 1, nHead: 2, bosTokenId: tokenizer.eosTokenId, eosTokenId: tokenizer.eosTokenId, initializerRange: 0.3 });
    await writeRandomGPT2Checkpoint(dir, config, 5);
    return loadCausalLM(dir, { lora: { r: 4, alpha: 8, dropout: 0.5, targetModules: ['c_attn', 'mlp.c_fc'], seed: 2 } });
  }

  /** LoRA gradients of −Σ log-probs on a fixed input in training mode with dropout seed `seed`: they depend on the mask. */
  function maskProbe(lm: CausalLM, seed: number): number[] {
    const vars = lm.trainableVariables();
    const { value, grads } = tf.variableGrads(() => tf.neg(tf.sum(lm.tokenLogProbs(prompts, completions, { training: true, seed }).logProbs)) as tf.Scalar, vars);
    const flat = vars.flatMap((v) => Array.from(grads[v.name].dataSync()));
    tf.dispose([value, ...Object.values(grads)]);
    return flat;
  }
  const maxAbsDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));

  it('the dropout seeds of a GRPO run give each micro-batch and step its own mask, and each seed always the same mask', async () => {
    const lm = await tinyLM();
    const log = recordSeeds(lm);
    const trainer = new GRPOTrainer({
      model: lm,
      tokenizer,
      rewardFunctions: [countReward('c'), lengthReward()],
      trainDataset: syntheticPrompts(4),
      config: { outputDir: join(root, 'gpt2'), maxSteps: 2, numGenerations: 2, perDeviceTrainBatchSize: 1, gradientAccumulationSteps: 2, maxCompletionLength: 3, learningRate: 1e-2, saveSteps: 0, evalSteps: 0, logCompletions: false, seed: 4 },
      logger: silent,
    });
    await trainer.train();
    trainer.dispose();
    const seeds = [...log.dropout]; // the probes below are training forwards too
    expect(seeds).toHaveLength(4);
    const probes = seeds.map((seed) => maskProbe(lm, seed));
    for (let i = 0; i < probes.length; i++) {
      for (let j = i + 1; j < probes.length; j++) {
        expect(maxAbsDiff(probes[i], probes[j]), `masks of forward ${i} (step ${(i >> 1) + 1}, micro-batch ${i % 2}) and forward ${j}`).toBeGreaterThan(1e-6);
      }
    }
    // The same seed again, after other training forwards moved the model's own counter: the same mask.
    seeds.forEach((seed, i) => expect(maskProbe(lm, seed), `seed of forward ${i} again`).toEqual(probes[i]));
    lm.dispose();
  });

  it('sampling: rows of one call differ, the same seed repeats the call, another seed changes it', async () => {
    const lm = await tinyLM();
    const rows = Array.from({ length: 8 }, () => [1, 2, 3]);
    const opts = { maxNewTokens: 6, doSample: true, temperature: 1, eosTokenId: tokenizer.eosTokenId, padTokenId: tokenizer.eosTokenId };
    const a = await lm.generate(rows, { ...opts, seed: 21 });
    const b = await lm.generate(rows, { ...opts, seed: 21 });
    const c = await lm.generate(rows, { ...opts, seed: 22 });
    expect(new Set(a.completionIds.map((ids) => ids.join(','))).size, 'eight rows of one prompt in one call').toBeGreaterThan(1);
    expect(b.completionIds).toEqual(a.completionIds);
    expect(c.completionIds).not.toEqual(a.completionIds);
    lm.dispose();
  });
});
