/**
 * The names of a training step's metrics, per loss type, are exactly TRL 1.9's (so dashboards of the
 * two compare) plus grpojs' own few (the step, the split of step_time, skipped_nonfinite). TRL's names are those
 * GRPOTrainer appends to `self._metrics[mode]` in huggingface/trl v1.9.0 trl/trainer/grpo_trainer.py
 * (_generate_and_score_completions and _compute_loss), with HF Trainer's own `loss`, `grad_norm`,
 * `learning_rate`, `epoch`; the metric block of _compute_loss logs `kl` only for beta ≠ 0,
 * `clip_ratio/*` only for grpo, bnpo, dr_grpo, dapo and luspo, `cispo_clip_ratio` only for cispo and
 * `vespo/phi_seq_mean` only for vespo.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GRPOConfigInput } from '../src/config.js';
import { GRPOTrainer } from '../src/trainer.js';
import { BigramPolicy } from './helpers/bigram-policy.js';
import { CharTokenizer } from './helpers/char-tokenizer.js';
import { ALPHABET, countReward, syntheticPrompts } from './helpers/synthetic-task.js';

/** Logged by TRL 1.9 for every loss type (one reward function named count_a; no server rollout). */
const TRL_ALWAYS = [
  'loss', 'grad_norm', 'learning_rate', 'epoch', 'num_tokens', 'step_time',
  'completions/mean_length', 'completions/min_length', 'completions/max_length', 'completions/clipped_ratio',
  'completions/mean_terminated_length', 'completions/min_terminated_length', 'completions/max_terminated_length',
  'rewards/count_a/mean', 'rewards/count_a/std', 'reward', 'reward_std', 'frac_reward_zero_std', 'entropy',
];
const TRL_CLIP = ['clip_ratio/low_mean', 'clip_ratio/high_mean', 'clip_ratio/region_mean', 'clip_ratio/low_min', 'clip_ratio/high_max'];
/** grpojs' own step metrics (docs/rl.md): the step number, the split of step_time, the skip flag. */
const GRPOJS_EXTRAS = ['step', 'step_time/generation', 'step_time/training', 'skipped_nonfinite'];

const CASES: [string, GRPOConfigInput, string[]][] = [
  ['grpo, beta 0.04', { lossType: 'grpo', beta: 0.04 }, [...TRL_CLIP, 'kl']],
  ['dapo, beta 0', { lossType: 'dapo', beta: 0 }, TRL_CLIP],
  ['luspo, sequence level', { lossType: 'luspo', importanceSamplingLevel: 'sequence', beta: 0 }, TRL_CLIP],
  ['cispo, beta 0.04', { lossType: 'cispo', beta: 0.04, epsilonHigh: 5 }, ['cispo_clip_ratio', 'kl']],
  ['sapo, beta 0', { lossType: 'sapo', beta: 0 }, []],
  ['vespo, beta 0', { lossType: 'vespo', beta: 0 }, ['vespo/phi_seq_mean']],
];

const tokenizer = new CharTokenizer(ALPHABET);
let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'grpojs-metric-names-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('step metric names are TRL 1.9 names (plus the documented extras)', () => {
  CASES.forEach(([name, extra, specific], i) => {
    it(name, async () => {
      const trainer = new GRPOTrainer({
        model: new BigramPolicy(tokenizer.vocabSize, { seed: 3 }),
        tokenizer,
        rewardFunctions: [countReward('a')],
        trainDataset: syntheticPrompts(8),
        config: {
          outputDir: join(root, `case-${i}`),
          numGenerations: 4,
          perDeviceTrainBatchSize: 2,
          gradientAccumulationSteps: 2,
          maxCompletionLength: 6,
          maxSteps: 1,
          saveSteps: 0,
          evalSteps: 0,
          logCompletions: false,
          ...extra,
        },
        logger: { warn: () => {}, info: () => {} },
      });
      const result = await trainer.train();
      trainer.dispose();
      expect(Object.keys(result.stepMetrics[0]).sort()).toEqual([...TRL_ALWAYS, ...specific, ...GRPOJS_EXTRAS].sort());
    });
  });
});
