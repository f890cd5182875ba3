/**
 * `--preset trl-defaults`: the trainer defaults of current TRL (GRPOConfig of TRL 1.9 and the
 * TrainingArguments it inherits) where they differ from grpojs' own, which stay those of the
 * reference run (TRL of early 2025, shared spec grpo.md). Only the fields that differ are set;
 * model, data and output options are the user's. docs/rl.md lists every field and why.
 */
import type { Preset } from './index.js';

export const trlDefaultsPreset: Preset = {
  name: 'trl-defaults',
  description: "current TRL's GRPOConfig defaults (dapo loss, beta 0, lr 1e-6, 8 generations, 256 new tokens, temperature 1) instead of the reference run's",
  checkReload: false,
  config: {
    learningRate: 1e-6,
    beta: 0,
    lossType: 'dapo',
    temperature: 1,
    topK: 0,
    numGenerations: 8,
    maxCompletionLength: 256,
    // TRL 1.x has no max_prompt_length: prompts are never truncated.
    maxPromptLength: null,
    // TrainingArguments: one micro-batch per optimizer step, three epochs, a checkpoint every 500 steps.
    gradientAccumulationSteps: 1,
    numTrainEpochs: 3,
    saveSteps: 500,
    // TrainingArguments' eval_strategy "no" has no periodic evaluation; grpojs still evaluates once at the end.
    evalSteps: 0,
    logCompletions: false,
  },
};
