/** The full and quick runs: model size, problem counts and both trainers' settings. */
import type { GRPOConfigInput, SFTConfigInput } from 'grpojs';
import type { TinyLlamaShape } from './tiny-llama.js';
import type { TaskSizes } from './tasks.js';

export interface Settings {
  model: TinyLlamaShape;
  tasks: TaskSizes;
  sft: SFTConfigInput & { maxSteps: number; perDeviceTrainBatchSize: number };
  grpo: GRPOConfigInput & { maxSteps: number; perDeviceTrainBatchSize: number; gradientAccumulationSteps: number; numGenerations: number; maxCompletionLength: number };
  /** Held-out evaluation every this many GRPO steps. */
  evalEvery: number;
  /** --check: the least held-out accuracy gain of GRPO over SFT (absolute). */
  checkMinGain: number;
}

/**
 * The seven reference rewards in their order (correctness, format, strict_format, numeric,
 * conciseness, repetition, cot_clarity), repetition weighted 0: a correct chain repeats numbers
 * ("7 + 3 = 10", "10 * 2 = 20", answer 20), so with weight 1 most wrong completions can gain +0.25
 * by not repeating a number, an easier signal than the arithmetic. Measured on seed 1 after SFT:
 * with weight 1 GRPO drove held-out accuracy from 11% to 1.5% in 20 steps (repetition mean
 * −0.27 → −0.18, correctness 0.21 → 0.06); with weight 0 it went to 13–14%. It is still computed and logged.
 */
export const REWARD_WEIGHTS = [1, 1, 1, 1, 1, 0, 1];

/**
 * GRPO updates every projection of a 0.66 M-parameter model, so its learning rate is small: at
 * 5e-4 (temperature 0.8) the full run's held-out accuracy went 13.5% → 14% after 60 steps, then
 * collapsed to 3% by step 80 (every answer "4"); the quick run collapsed by step 20.
 */
const grpoCommon = {
  numGenerations: 8,
  maxCompletionLength: 64,
  temperature: 0.7,
  beta: 0,
  lrSchedulerType: 'constant',
  maxGradNorm: 1,
  loggingSteps: 5,
  rewardWeights: REWARD_WEIGHTS,
  learningRate: 1e-4,
  perDeviceTrainBatchSize: 4,
  gradientAccumulationSteps: 2,
} as const;

export const FULL: Settings = {
  model: { hiddenSize: 128, layers: 4, heads: 4 },
  tasks: { sftOneStep: 3000, sftTwoStep: 1000, grpoRows: 4000, heldOutRows: 200 },
  sft: { maxSteps: 400, perDeviceTrainBatchSize: 32, gradientAccumulationSteps: 1, learningRate: 3e-3, warmupSteps: 20, lrSchedulerType: 'linear', loggingSteps: 10, evalSteps: 0 },
  grpo: { ...grpoCommon, maxSteps: 120 },
  evalEvery: 20,
  checkMinGain: 0.1,
};

export const QUICK: Settings = {
  model: { hiddenSize: 128, layers: 4, heads: 4 },
  tasks: { sftOneStep: 3000, sftTwoStep: 1000, grpoRows: 2000, heldOutRows: 200 },
  sft: { maxSteps: 200, perDeviceTrainBatchSize: 32, gradientAccumulationSteps: 1, learningRate: 3e-3, warmupSteps: 20, lrSchedulerType: 'linear', loggingSteps: 10, evalSteps: 0 },
  grpo: { ...grpoCommon, maxSteps: 40 },
  evalEvery: 20,
  // Measured on the idle 2-core machine (these settings): seed 1 SFT 14.5% → GRPO 14.0% (correctness
  // 0.29 → 0.28), seed 2 SFT 6.5% → GRPO 12.5% (0.13 → 0.25). GRPO's gain is not established (the full
  // run: +4.0 for seed 1, −2.0 for seed 2), so `pnpm check` fails for seed 1 and CI does not run it.
  // One build, seed and BLAS thread count give the same numbers run after run (OpenBLAS's sums change
  // with its thread count, so another core count or OPENBLAS_NUM_THREADS gives other last bits).
  checkMinGain: 0.02,
};
