/**
 * Checks a job runs before anything heavy: a config that cannot finish fails in seconds, not after
 * the model load or the first steps. The folders it writes to are writable (created if absent, a
 * probe file written and removed); the reward weights match the functions; the training rows fill
 * one generation batch; the sequence lengths fit the model's positions, read from config.json alone
 * (on the hub only config.json is fetched) and, when prompts are not truncated, measured on the
 * rendered prompts before the first step.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { resolveLocalOrHub } from '@grpojs/data';
import { maxPositionsOf, readModelConfig } from '@grpojs/model';
import type { RewardFunction } from '@grpojs/rewards';
import { resolvedStepsPerGeneration, resolveRewardWeights, type GRPOConfig, type PromptRow } from '@grpojs/rl';
import { TrainConfigError, UnwritableFolderError } from './errors.js';
import type { JobOptions, TrainConfig } from './job-options.js';
import { jobHubOptions } from './load.js';

/**
 * Creates `folder` when absent and writes and removes a probe file in it.
 * @throws UnwritableFolderError naming the folder, `option` and its `flag`, and the OS reason.
 */
export async function checkWritableFolder(folder: string, option: string, flag: string): Promise<void> {
  const path = resolve(folder);
  // A name no cleanup of temporaries (`.tmp-*`) or checkpoints (`checkpoint-*`) looks at.
  const probe = join(path, `.grpojs-write-check-${process.pid}`);
  try {
    await mkdir(path, { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (error) {
    throw new UnwritableFolderError(path, option, flag, error);
  }
}

/** Where the job writes: outputDir (relative to the process), and runsDir (relative to `cwd`) when the local tracker runs. */
export async function checkJobFolders(config: TrainConfig, options: { cwd?: string; localTracker: boolean }): Promise<void> {
  await checkWritableFolder(config.outputDir, 'outputDir', '--output-dir');
  if (options.localTracker && config.reportTo.includes('local')) {
    await checkWritableFolder(resolve(options.cwd ?? process.cwd(), config.runsDir), 'runsDir', '--runs-dir');
  }
}

/** The trainer's check of rewardWeights against the reward functions, run before the model loads. */
export function checkRewardWeights(grpo: GRPOConfig, rewardFunctions: readonly RewardFunction[]): void {
  try {
    resolveRewardWeights(grpo.rewardWeights, rewardFunctions);
  } catch (error) {
    throw new TrainConfigError('config', [{ field: 'rewardWeights', message: (error as Error).message }]);
  }
}

/**
 * One generation batch needs perDeviceTrainBatchSize × stepsPerGeneration training rows
 * (stepsPerGeneration defaults to gradientAccumulationSteps); the trainer refuses fewer, but only
 * once the model has loaded.
 */
export function checkBatchFits(
  trainRows: number,
  grpo: Pick<GRPOConfig, 'perDeviceTrainBatchSize' | 'gradientAccumulationSteps'> & Partial<Pick<GRPOConfig, 'stepsPerGeneration' | 'generationBatchSize' | 'numGenerations'>>,
): void {
  const microBatches = resolvedStepsPerGeneration(grpo);
  const needed = grpo.perDeviceTrainBatchSize * microBatches;
  if (trainRows >= needed) return;
  const byDefault = microBatches === grpo.gradientAccumulationSteps && !grpo.stepsPerGeneration && !grpo.generationBatchSize;
  const what = byDefault ? 'gradientAccumulationSteps' : 'stepsPerGeneration';
  throw new TrainConfigError('config', [
    {
      field: `perDeviceTrainBatchSize × ${what}`,
      message:
        `${grpo.perDeviceTrainBatchSize} × ${microBatches} = ${needed} prompts per generation batch, but there are ${trainRows} training rows. ` +
        `Add rows (maxTrainSamples, evalHoldout take some away) or lower them (CLI: --per-device-train-batch-size, ${byDefault ? '--gradient-accumulation-steps' : '--steps-per-generation or --generation-batch-size'}).`,
    },
  ]);
}

/** The model's position limit and the config.json field that sets it (`maxPositionsOf` of a loaded model's `modelConfig`). */
export interface PositionLimit {
  maxPositions: number;
  field: string;
}

/**
 * The position limit of the job's model from its config.json, without the weights (a hub model's
 * config.json alone is fetched). Null when config.json cannot be read here: the model loader then
 * fails with its own message (missing folder, hub offline), so this check adds no new failure.
 */
export async function modelPositionLimit(job: JobOptions): Promise<PositionLimit | null> {
  try {
    const { folder } = await resolveLocalOrHub(job.model, ['config.json'], { revision: job.revision, ...jobHubOptions(job) });
    const { maxPositions, field } = maxPositionsOf(await readModelConfig(folder));
    return { maxPositions, field };
  } catch {
    return null;
  }
}

const LENGTH_FLAGS = '(CLI: --max-prompt-length, --max-completion-length)';

/**
 * maxPromptLength + maxCompletionLength must fit the model's positions: generation and log-probs
 * reject longer sequences, so a config that allows them fails at the first long prompt.
 * @throws TrainConfigError naming both fields, the sum and the config.json field.
 */
export function checkLengthLimits(grpo: Pick<GRPOConfig, 'maxPromptLength' | 'maxCompletionLength'>, limit: PositionLimit, model: string): void {
  const { maxPromptLength: p, maxCompletionLength: c } = grpo;
  if (p === null || p + c <= limit.maxPositions) return;
  throw new TrainConfigError('config', [
    {
      field: 'maxPromptLength + maxCompletionLength',
      message:
        `${p} + ${c} = ${p + c} tokens exceeds ${limit.field} ${limit.maxPositions} of ${model} (its config.json): the model cannot take ` +
        `sequences that long. Lower them so that they sum to at most ${limit.maxPositions} ${LENGTH_FLAGS}.`,
    },
  ]);
}

/**
 * With maxPromptLength null prompts are not truncated, so the longest rendered prompt (training and
 * eval rows) plus maxCompletionLength must fit; one tokenizer pass over the prompts, before the first step.
 * @throws TrainConfigError naming the longest prompt's row and token count.
 */
export function checkPromptLengths(
  data: { train: readonly PromptRow[]; eval: readonly PromptRow[] },
  grpo: Pick<GRPOConfig, 'maxPromptLength' | 'maxCompletionLength'>,
  tokenizer: { encode(text: string): number[] },
  limit: PositionLimit,
  model: string,
): void {
  if (grpo.maxPromptLength !== null) return;
  let longest = { tokens: 0, part: '', index: -1, prompt: '' };
  for (const [part, rows] of [['training', data.train], ['eval', data.eval]] as const) {
    rows.forEach((row, index) => {
      const tokens = tokenizer.encode(row.prompt).length;
      if (tokens > longest.tokens) longest = { tokens, part, index, prompt: row.prompt };
    });
  }
  const c = grpo.maxCompletionLength;
  if (longest.tokens + c <= limit.maxPositions) return;
  const text = longest.prompt.length > 40 ? `${longest.prompt.slice(0, 40)}…` : longest.prompt;
  throw new TrainConfigError('config', [
    {
      field: 'maxPromptLength',
      message:
        `null (no truncation), but the longest prompt (${longest.part} row ${longest.index + 1}: ${JSON.stringify(text)}) is ${longest.tokens} tokens; ` +
        `+ maxCompletionLength ${c} = ${longest.tokens + c} exceeds ${limit.field} ${limit.maxPositions} of ${model}. Set maxPromptLength ` +
        `to at most ${Math.max(1, limit.maxPositions - c)} (prompts keep their last tokens, as in TRL) or lower maxCompletionLength ${LENGTH_FLAGS}.`,
    },
  ]);
}
