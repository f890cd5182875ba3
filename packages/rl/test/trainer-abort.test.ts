/**
 * GRPOTrainer.train({ signal }) on the bigram policy: an abort while a step is under way (during
 * generation, or between two micro-batches after one has accumulated its gradient) abandons that
 * step. Weights, AdamW moments and step count are bit-identical to the previous completed step,
 * the checkpoint written at the stop is that step's, no tensor is left behind, and a run resumed
 * from it reproduces the uninterrupted run exactly. An abort during a periodic evaluation drops
 * that evaluation and saves the completed step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GRPOConfigInput } from '../src/config.js';
import type { AdamW } from '../src/optimizer.js';
import type { PolicyGenerateOptions, PolicyGenerateOutput, PolicyLogProbsOptions, PolicyLogProbsOutput } from '../src/policy-model.js';
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
  root = await mkdtemp(join(tmpdir(), 'grpojs-rl-abort-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const config = (dir: string): GRPOConfigInput => ({
  outputDir: join(root, dir),
  numGenerations: 4,
  perDeviceTrainBatchSize: 2,
  gradientAccumulationSteps: 2,
  maxCompletionLength: 6,
  learningRate: 0.05,
  lrSchedulerType: 'constant',
  maxSteps: 4,
  saveSteps: 0,
  evalSteps: 0,
  loggingSteps: 1,
  logCompletions: false,
});

/** The bigram policy that aborts `controller` from a macrotask (as a signal handler runs) at a chosen call. */
class AbortingPolicy extends BigramPolicy {
  generateCalls = 0;
  trainingCalls = 0;
  constructor(
    vocab: number,
    private readonly controller: AbortController,
    private readonly at: { generateCall?: number; trainingCall?: number },
  ) {
    super(vocab, { seed: 5 });
  }
  override async generate(p: number[][], o: PolicyGenerateOptions): Promise<PolicyGenerateOutput> {
    expect(o.signal).toBe(this.controller.signal); // the rollout passes the signal on
    if (++this.generateCalls === this.at.generateCall) setImmediate(() => this.controller.abort());
    const out = await super.generate(p, o);
    // As @grpojs/model's generate does between decode steps: let the handler run, then honour it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    o.signal?.throwIfAborted();
    return out;
  }
  override tokenLogProbs(p: number[][], c: number[][], o: PolicyLogProbsOptions = {}): PolicyLogProbsOutput {
    if (o.training && ++this.trainingCalls === this.at.trainingCall) setImmediate(() => this.controller.abort());
    return super.tokenLogProbs(p, c, o);
  }
}

const optimizerOf = (trainer: GRPOTrainer) => (trainer as unknown as { optimizer: AdamW }).optimizer;
const words = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
function snapshot(trainer: GRPOTrainer, model: BigramPolicy) {
  const state = optimizerOf(trainer).state();
  return {
    globalStep: trainer.globalStep,
    loraA: words(model.loraA.dataSync() as Float32Array),
    loraB: words(model.loraB.dataSync() as Float32Array),
    adamStep: state.step,
    moments: state.variables.map((v) => [words(v.m), words(v.v)]),
  };
}

describe('GRPOTrainer: an abort abandons the step under way', () => {
  // Step 3 = generate call 3; its training micro-batches are training calls 5 and 6 (2 per step).
  for (const [where, at] of [
    ['during generation', { generateCall: 3 }],
    ['between two micro-batches (one gradient already accumulated)', { trainingCall: 5 }],
  ] as const) {
    it(`${where}: weights and AdamW state bit-identical to step 2, checkpoint-2 written, resume is exact`, async () => {
      const reference = new BigramPolicy(tokenizer.vocabSize, { seed: 5 });
      const refTrainer = new GRPOTrainer({ model: reference, tokenizer, rewardFunctions: [countReward('b')], trainDataset: prompts, config: config(`ref-${at.generateCall ?? 0}`), logger: quiet });
      await refTrainer.train({ stopAfterStep: 2 });
      const atStep2 = snapshot(refTrainer, reference);

      const controller = new AbortController();
      const dir = `aborted-${at.generateCall ?? 0}`;
      const model = new AbortingPolicy(tokenizer.vocabSize, controller, at);
      const trainer = new GRPOTrainer({ model, tokenizer, rewardFunctions: [countReward('b')], trainDataset: prompts, config: config(dir), logger: quiet });
      const tensorsBefore = tf.memory().numTensors;
      const result = await trainer.train({ signal: controller.signal });
      expect(controller.signal.aborted).toBe(true);
      expect(result).toMatchObject({ globalStep: 2, completed: false });
      expect(result.stepMetrics.map((m) => m.step)).toEqual([1, 2]);
      expect(result.lastCheckpoint).toMatch(/checkpoint-2$/);
      expect(snapshot(trainer, model)).toEqual(atStep2);
      expect(tf.memory().numTensors).toBe(tensorsBefore); // the abandoned step's gradients are freed
      expect((await readdir(join(root, dir))).filter((f) => f.startsWith('checkpoint-'))).toEqual(['checkpoint-2']);

      // Resume from the stop's checkpoint and finish: the same as a run never interrupted.
      await refTrainer.train();
      const resumedModel = new BigramPolicy(tokenizer.vocabSize, { seed: 5 });
      const resumed = new GRPOTrainer({ model: resumedModel, tokenizer, rewardFunctions: [countReward('b')], trainDataset: prompts, config: config(dir), logger: quiet });
      await resumed.resume('latest');
      await resumed.train();
      expect(snapshot(resumed, resumedModel)).toEqual(snapshot(refTrainer, reference));
      for (const [t, m] of [[refTrainer, reference], [trainer, model], [resumed, resumedModel]] as const) {
        t.dispose();
        m.dispose();
      }
    });
  }

  it('during a periodic evaluation: the evaluation is dropped, the completed step is saved', async () => {
    const controller = new AbortController();
    // Generate calls: steps 1 and 2, then step 2's evaluation (fine-tuned, base): abort in the first.
    const model = new AbortingPolicy(tokenizer.vocabSize, controller, { generateCall: 3 });
    const trainer = new GRPOTrainer({
      model, tokenizer, rewardFunctions: [countReward('b')], trainDataset: prompts, evalDataset: prompts.slice(0, 4),
      config: { ...config('aborted-eval'), evalSteps: 2 }, logger: quiet,
    });
    const tensorsBefore = tf.memory().numTensors;
    const result = await trainer.train({ signal: controller.signal });
    expect(result).toMatchObject({ globalStep: 2, completed: false, evalReports: [] });
    expect(result.lastCheckpoint).toMatch(/checkpoint-2$/);
    expect(result.logHistory.some((entry) => Object.keys(entry).some((k) => k.startsWith('eval_')))).toBe(false);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    trainer.dispose();
    model.dispose();
  });
});
