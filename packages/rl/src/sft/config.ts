/**
 * The SFT configuration: TRL `SFTConfig` names camelCased, one zod schema as the source of defaults,
 * types and help text. The optimizer, schedule, logging and checkpoint fields are the GRPO config's
 * own (same validation and docs); the fields that mean something else in SFT, or exist only here,
 * are declared below. Defaults follow TRL's SFTConfig (learning_rate 2e-5, max_length 1024, packing
 * off, completion-only loss on prompt/completion rows, 3 epochs, no gradient accumulation).
 */
import { z } from 'zod';
import { GRPOConfigSchema } from '../config.js';
import { GRPOConfigError } from '../errors.js';

const positiveInt = () => z.number().int().positive();

/** The zod schema of every SFTTrainer option. */
export const SFTConfigSchema = GRPOConfigSchema.pick({
  overwriteOutputDir: true,
  runName: true,
  seed: true,
  adamBeta1: true,
  adamBeta2: true,
  adamEpsilon: true,
  weightDecay: true,
  lrSchedulerType: true,
  warmupSteps: true,
  warmupRatio: true,
  maxGradNorm: true,
  maxConsecutiveSkippedSteps: true,
  maxSteps: true,
  loggingSteps: true,
  saveSteps: true,
  saveTotalLimit: true,
  evalSteps: true,
  logprobChunkSize: true,
})
  .extend({
    outputDir: z.string().min(1).default('outputs/sft').describe(
      'Folder for checkpoints (checkpoint-<step>/) and the final model. (TRL: output_dir)'),
    learningRate: z.number().positive().default(2e-5).describe('Peak AdamW learning rate. (TRL: learning_rate)'),
    perDeviceTrainBatchSize: positiveInt().default(8).describe(
      'Training rows per micro-batch. (TRL: per_device_train_batch_size)'),
    gradientAccumulationSteps: positiveInt().default(1).describe(
      'Micro-batches whose gradients are summed before one optimizer step. (TRL: gradient_accumulation_steps)'),
    numTrainEpochs: z.number().positive().default(3).describe(
      'Passes over the training rows; used when maxSteps is -1. (TRL: num_train_epochs)'),
    perDeviceEvalBatchSize: positiveInt().default(8).describe(
      'Rows per forward pass when computing the eval loss. (TRL: per_device_eval_batch_size)'),
    maxLength: positiveInt().nullable().default(1024).describe(
      'Tokens kept per row (prompt + completion), truncated at the end; null = no limit. (TRL: max_length)'),
    completionOnlyLoss: z.boolean().nullable().default(null).describe(
      'Loss on completion tokens only (prompt tokens masked); null = true for prompt/completion rows. Rows without a prompt (text, messages) train on every token. (TRL: completion_only_loss)'),
    assistantOnlyLoss: z.boolean().default(false).describe(
      'For conversational `messages` rows: loss on the assistant turns only (the text each assistant message adds to the rendered conversation). (TRL: assistant_only_loss)'),
    packing: z.literal(false).default(false).describe(
      'Packing several rows into one sequence is not implemented; rows are padded. (TRL: packing, default false)'),
  })
  .strict();

/** What a user writes: every field optional. */
export type SFTConfigInput = z.input<typeof SFTConfigSchema>;
/** The resolved config the SFTTrainer runs on. */
export type SFTConfig = z.output<typeof SFTConfigSchema>;

/** Validates `input` and fills defaults; throws GRPOConfigError naming every bad field. */
export function parseSFTConfig(input: unknown = {}): SFTConfig {
  const result = SFTConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : '(config)';
      const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.join(', ')}` : '';
      return `  ${field}:${keys} ${issue.message}`;
    });
    throw new GRPOConfigError(`Invalid SFT config:\n${lines.join('\n')}\nSee docs/sft.md for every field, its type and default.`);
  }
  const config = result.data;
  if (config.learningRate * config.weightDecay > 1) {
    throw new GRPOConfigError(`Invalid SFT config: learningRate × weightDecay (${config.learningRate} × ${config.weightDecay}) must be <= 1 (AdamW multiplies every weight by 1 − learningRate × weightDecay each step).`);
  }
  return config;
}
