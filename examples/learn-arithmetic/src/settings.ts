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
 * 70% of the generated two-step SFT problems (before held-out duplicates are dropped) get a direct
 * answer as target ("The answer is 20."), the rest one equation per line: after SFT the model
 * writes the steps on few held-out problems, and GRPO, rewarded for right answers only, has to find
 * out whether writing them pays for this model.
 */
const SHORTCUT = { style: 'direct', share: 0.7 } as const;

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

/**
 * 3000 two-step SFT problems (900 written out): the written-out targets have to teach chains well
 * enough that switching to them pays, and GRPO's gain grew with their number (README).
 */
export const FULL: Settings = {
  model: { hiddenSize: 128, layers: 4, heads: 4 },
  tasks: { sftOneStep: 3000, sftTwoStep: 3000, sftShortcut: SHORTCUT, grpoRows: 4000, heldOutRows: 200 },
  sft: { maxSteps: 1200, perDeviceTrainBatchSize: 32, gradientAccumulationSteps: 1, learningRate: 3e-3, warmupSteps: 40, lrSchedulerType: 'linear', loggingSteps: 10, evalSteps: 0 },
  grpo: { ...grpoCommon, maxSteps: 120 },
  evalEvery: 20,
  checkMinGain: 0.1,
};

/**
 * 1000 two-step SFT problems: with 3000, GRPO after 600 SFT steps gained +0.5 on seed 1 (18.0% →
 * 18.5%), as if those steps were too few to learn the written chains.
 */
export const QUICK: Settings = {
  model: { hiddenSize: 128, layers: 4, heads: 4 },
  tasks: { sftOneStep: 3000, sftTwoStep: 1000, sftShortcut: SHORTCUT, grpoRows: 2000, heldOutRows: 200 },
  sft: { maxSteps: 600, perDeviceTrainBatchSize: 32, gradientAccumulationSteps: 1, learningRate: 3e-3, warmupSteps: 40, lrSchedulerType: 'linear', loggingSteps: 10, evalSteps: 0 },
  grpo: { ...grpoCommon, maxSteps: 40 },
  evalEvery: 20,
  // Measured on the 2-core machine, seeds 1 and 2 run at the same time (these settings, 472 s each):
  // seed 1 SFT 14.0% → GRPO 22.5% (+8.5; correctness 0.28 → 0.45; writes the steps 3% → 81%), seed 2
  // 14.0% → 23.5% (+9.5; 0.28 → 0.47; 2% → 100%). The threshold, 5 points (10 of the 200 held-out
  // rows), is below every measured gain and above the −2 to +6 points GRPO moved the all-steps
  // design of the example.
  // One build, seed and BLAS thread count give the same numbers run after run (OpenBLAS's sums
  // change with its thread count, so another core count or OPENBLAS_NUM_THREADS gives other last
  // bits and another trajectory).
  checkMinGain: 0.05,
};
