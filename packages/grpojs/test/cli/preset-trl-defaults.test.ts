/**
 * `--preset trl-defaults` takes current TRL's defaults (huggingface/trl v1.9.0
 * trl/trainer/grpo_config.py and base_config.py, and the transformers TrainingArguments they
 * inherit) while grpojs' own defaults stay the reference run's (shared spec grpo.md).
 */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/cli/resolve-config.js';
import { printedConfig } from './helpers.js';

/** TRL 1.9's value of every field where it differs from grpojs' default, in grpojs names. */
const TRL_1_9 = {
  learningRate: 1e-6, // GRPOConfig.learning_rate
  beta: 0, // GRPOConfig.beta
  lossType: 'dapo', // GRPOConfig.loss_type
  temperature: 1, // GRPOConfig.temperature
  topK: 0, // GRPOConfig.top_k (0 = off, as grpojs' null)
  numGenerations: 8, // GRPOConfig.num_generations
  maxCompletionLength: 256, // GRPOConfig.max_completion_length
  maxPromptLength: null, // no max_prompt_length in TRL 1.x
  gradientAccumulationSteps: 1, // TrainingArguments.gradient_accumulation_steps
  numTrainEpochs: 3, // TrainingArguments.num_train_epochs
  saveSteps: 500, // TrainingArguments.save_steps
  evalSteps: 0, // TrainingArguments.eval_strategy "no": no periodic evaluation
  logCompletions: false, // GRPOConfig.log_completions
};

/** The reference run's values of the same fields (grpojs' defaults). */
const REFERENCE = {
  learningRate: 1e-5,
  beta: 0.04,
  lossType: 'grpo',
  temperature: 0.9,
  topK: null,
  numGenerations: 2,
  maxCompletionLength: 128,
  maxPromptLength: 128,
  gradientAccumulationSteps: 4,
  numTrainEpochs: 1,
  saveSteps: 50,
  evalSteps: 20,
  logCompletions: true,
};

describe('--preset trl-defaults', () => {
  it("sets current TRL's defaults where they differ", async () => {
    const { config } = await resolveConfig({ flags: {}, preset: 'trl-defaults' });
    expect(config).toMatchObject(TRL_1_9);
    // Fields where TRL 1.9 and the reference agree are left to the schema.
    expect(config).toMatchObject({ scaleRewards: 'group', epsilon: 0.2, numIterations: 1, loggingSteps: 10, perDeviceTrainBatchSize: 1, maxGradNorm: 1 });
  });

  it('leaves grpojs defaults at the reference run without the preset', async () => {
    const { config } = await resolveConfig({ flags: {} });
    expect(config).toMatchObject(REFERENCE);
  });

  it('flags still win over the preset', async () => {
    const config = await printedConfig(['--preset', 'trl-defaults', '--beta', '0.04', '--loss-type', 'cispo', '--epsilon-high', '5']);
    expect(config).toMatchObject({ beta: 0.04, lossType: 'cispo', epsilonHigh: 5, learningRate: 1e-6 });
  });

  it("takes TRL 1.9's loss options in TRL's spelling", async () => {
    const config = await printedConfig([
      '--preset', 'trl-defaults', '--loss_type', 'sapo', '--sapo_temperature_neg', '1.2', '--top_entropy_quantile', '0.2',
      '--off_policy_mask_threshold', '0.5', '--use_bias_correction_kl', 'true', '--delta', '1.5', '--vespo_k_pos', '1',
      '--multi_objective_aggregation', 'normalize_then_sum',
    ]);
    expect(config).toMatchObject({
      lossType: 'sapo', sapoTemperatureNeg: 1.2, topEntropyQuantile: 0.2, offPolicyMaskThreshold: 0.5,
      useBiasCorrectionKl: true, delta: 1.5, vespoKPos: 1, multiObjectiveAggregation: 'normalize_then_sum',
    });
  });
});
