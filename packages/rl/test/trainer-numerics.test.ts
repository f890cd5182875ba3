/**
 * The GRPOTrainer never keeps or saves non-finite or exploded weights: an update that makes them so
 * is rolled back, a run whose steps keep being skipped stops with TrainingDivergedError after
 * maxConsecutiveSkippedSteps, a run that skipped more than half its steps fails at the end without
 * saving an adapter, and neither a checkpoint nor the adapter is written from NaN weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GRPOConfigInput } from '../src/config.js';
import { CheckpointError, TrainingDivergedError } from '../src/errors.js';
import type { PolicyGenerateOptions, PolicyGenerateOutput, PolicyLogProbsOptions, PolicyLogProbsOutput } from '../src/policy-model.js';
import { GRPOTrainer } from '../src/trainer.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { ALPHABET, countReward, syntheticPrompts } from './helpers/synthetic-task.js';

const tokenizer = new CharTokenizer(ALPHABET);
const prompts = syntheticPrompts(32);
let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-rl-numerics-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
const config = (dir: string, extra: GRPOConfigInput = {}): GRPOConfigInput => ({
  outputDir: join(root, dir),
  numGenerations: 4,
  perDeviceTrainBatchSize: 2,
  gradientAccumulationSteps: 2,
  maxCompletionLength: 6,
  learningRate: 0.05,
  loggingSteps: 1,
  saveSteps: 0,
  evalSteps: 0,
  logCompletions: false,
  ...extra,
});

/** Bit patterns of the LoRA weights (NaN-safe exact comparison). */
const bits = (model: BigramPolicy) => [model.loraA, model.loraB].map((v) => Array.from(new Uint32Array((v.dataSync() as Float32Array).slice().buffer)));

/** The bigram policy with the training-mode log-prob passes of the listed steps poisoned with NaN. */
class PoisonedSteps extends BigramPolicy {
  private calls = 0;
  constructor(vocab: number, private readonly badSteps: readonly number[], private readonly microPerStep = 2) {
    super(vocab, { seed: 11 });
  }
  override tokenLogProbs(p: number[][], c: number[][], o: PolicyLogProbsOptions = {}): PolicyLogProbsOutput {
    const out = super.tokenLogProbs(p, c, o);
    if (!o.training) return out;
    const step = Math.floor(this.calls++ / this.microPerStep) + 1;
    if (!this.badSteps.includes(step)) return out;
    const poisoned = tf.mul(out.logProbs, Number.NaN) as tf.Tensor2D;
    out.logProbs.dispose();
    return { ...out, logProbs: poisoned };
  }
}

describe('GRPOTrainer: updates that make the weights non-finite or explode', () => {
  it('are rolled back bit for bit and counted as skipped; maxConsecutiveSkippedSteps of them in a row stop the run with an error, saving nothing', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 5 });
    const initial = bits(model);
    const warnings: string[] = [];
    const perStep: number[][][] = [];
    // No clipping and a huge learning rate: AdamW moves LoRA B by ~1e30 per entry, whose square overflows float32.
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('a')],
      trainDataset: prompts,
      config: config('explode', { learningRate: 1e30, maxGradNorm: 0, maxSteps: 10, maxConsecutiveSkippedSteps: 3, saveSteps: 1 }),
      logger: { warn: (m: string) => warnings.push(m), info: () => {} },
      onStep: () => {
        perStep.push(bits(model));
      },
    });
    const error = await trainer.train().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect((error as Error).message).toMatch(/3 optimizer step\(s\) in a row, up to step 3, were skipped \(maxConsecutiveSkippedSteps = 3; 0 never stops\)/);
    expect((error as Error).message).toMatch(/the last checkpoint is .*checkpoint-2.*Lower learningRate, clip gradients \(maxGradNorm > 0\)/);
    expect(perStep).toHaveLength(3);
    for (const snapshot of perStep) expect(snapshot).toEqual(initial); // every update undone exactly
    expect(warnings[0]).toMatch(/step 1 skipped: the update made "bigram[^"]*lora_B[^"]*" exploded: its squared L2 norm overflows float32.*rolled back/);
    // checkpoints of the (rolled-back, finite) state were written before the stop; no adapter, no checkpoint-3
    const files = await readdir(join(root, 'explode'));
    expect(files.filter((f) => f.startsWith('checkpoint-')).sort()).toEqual(['checkpoint-1', 'checkpoint-2']);
    expect(files).not.toContain('bigram_adapter.json');
    expect(trainer.globalStep).toBe(3);
    trainer.dispose();
    model.dispose();
  });

  it('maxConsecutiveSkippedSteps 0 never stops; a completed run that skipped more than half its steps fails without saving the adapter', async () => {
    const model = new PoisonedSteps(tokenizer.vocabSize, [1, 3]);
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('a')],
      trainDataset: prompts,
      config: config('mostly-skipped', { maxSteps: 3, maxConsecutiveSkippedSteps: 0 }),
      logger: { warn: () => {}, info: () => {} },
    });
    const error = await trainer.train().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect((error as Error).message).toMatch(/2 of 3 optimizer steps were skipped, more than half: the run trained on almost nothing, so no adapter was saved to .*mostly-skipped \(its state at step 3 is in .*checkpoint-3\)/);
    const files = await readdir(join(root, 'mostly-skipped'));
    expect(files).toContain('checkpoint-3');
    expect(files).not.toContain('bigram_adapter.json');
    trainer.dispose();
    model.dispose();

    // one of three skipped (not more than half): the run completes and saves its adapter
    const ok = new PoisonedSteps(tokenizer.vocabSize, [2]);
    const fine = new GRPOTrainer({
      model: ok,
      tokenizer,
      rewardFunctions: [countReward('a')],
      trainDataset: prompts,
      config: config('once-skipped', { maxSteps: 3, maxConsecutiveSkippedSteps: 2 }),
      logger: { warn: () => {}, info: () => {} },
    });
    const result = await fine.train();
    expect(result).toMatchObject({ completed: true, skippedSteps: 1 });
    expect(existsSync(join(root, 'once-skipped', 'bigram_adapter.json'))).toBe(true);
    fine.dispose();
    ok.dispose();
  });

  it('a skipped step resets nothing but the update: two non-consecutive skips with maxConsecutiveSkippedSteps 2 do not stop the run', async () => {
    const model = new PoisonedSteps(tokenizer.vocabSize, [2, 4]);
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('a')],
      trainDataset: prompts,
      config: config('apart', { maxSteps: 5, maxConsecutiveSkippedSteps: 2 }),
      logger: { warn: () => {}, info: () => {} },
    });
    const result = await trainer.train();
    expect(result.stepMetrics.map((m) => m.skipped_nonfinite)).toEqual([0, 1, 0, 1, 0]);
    expect(result.completed).toBe(true);
    trainer.dispose();
    model.dispose();
  });
});

describe('GRPOTrainer never writes NaN weights', () => {
  it('refuses a checkpoint whose weights hold NaN, naming the variable; nothing is written', async () => {
    const model = new BigramPolicy(tokenizer.vocabSize, { seed: 7 });
    const trainer = new GRPOTrainer({
      model,
      tokenizer,
      rewardFunctions: [countReward('b')],
      trainDataset: prompts,
      config: config('nan-save', { maxSteps: 2, saveSteps: 2 }),
      logger: { warn: () => {}, info: () => {} },
      onStep: (step) => {
        if (step === 2) model.loraB.assign(tf.fill(model.loraB.shape, Number.NaN)); // corrupted outside the trainer
      },
    });
    const error = await trainer.train().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(/Refusing to write checkpoint-2 to .*nan-save: "bigram[^"]*lora_B[^"]*" holds NaN\/Inf; nothing was written/);
    const files = await readdir(join(root, 'nan-save')).catch(() => [] as string[]);
    expect(files.filter((f) => f.startsWith('checkpoint-') || f === 'bigram_adapter.json')).toEqual([]);
    trainer.dispose();
    model.dispose();
  });

  it('refuses the final adapter when its weights went NaN after the last checkpoint (a resumed run evaluates after it)', async () => {
    const run = (model: BigramPolicy, evalDataset?: { prompt: string }[]) =>
      new GRPOTrainer({
        model,
        tokenizer,
        rewardFunctions: [countReward('c')],
        trainDataset: prompts,
        ...(evalDataset ? { evalDataset } : {}),
        config: config('nan-adapter', { maxSteps: 1, perDeviceEvalBatchSize: 2 }),
        logger: { warn: () => {}, info: () => {} },
      });
    const first = new BigramPolicy(tokenizer.vocabSize, { seed: 9 });
    const done = run(first);
    await done.train();
    done.dispose();
    first.dispose();
    const adapter = join(root, 'nan-adapter', 'bigram_adapter.json');
    const saved = await readFile(adapter, 'utf8');
    // Resumed at its last step, the run only evaluates and saves: the evaluation corrupts the weights.
    class CorruptedByEval extends BigramPolicy {
      override async generate(p: number[][], o: PolicyGenerateOptions): Promise<PolicyGenerateOutput> {
        if (o.doSample === false) this.loraA.assign(tf.fill(this.loraA.shape, Number.POSITIVE_INFINITY));
        return super.generate(p, o);
      }
    }
    const model = new CorruptedByEval(tokenizer.vocabSize, { seed: 9 });
    const trainer = run(model, syntheticPrompts(2, 3, 1));
    await trainer.resume('latest');
    const error = await trainer.train().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toMatch(/Refusing to save the adapter to .*nan-adapter: trainable variable "bigram[^"]*lora_A[^"]*" holds NaN\/Inf; nothing was written/);
    expect(await readFile(adapter, 'utf8')).toBe(saved);
    trainer.dispose();
    model.dispose();
  });
});
