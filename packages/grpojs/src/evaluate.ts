/**
 * `evaluate(config, { adapter })`: the final evaluation of a training run, on demand. Loads the
 * eval split and the saved adapter on its quantized base, renders the prompts in the format
 * training used, then scores greedy completions of the fine-tuned model and of the base (adapters
 * disabled) with the same rewards and GSM8K accuracy that training reports (`eval_accuracy`,
 * `eval_base_accuracy`, …).
 */
import { maxPositionsOf } from '@grpojs/model';
import { defaultRewards, type RewardFunction } from '@grpojs/rewards';
import { evaluateWithBase, resolveRewardWeights, rewardNames, type EvalReport } from '@grpojs/rl';
import { formatDuration } from '@grpojs/tracking';
import { gsm8kExactMatch } from './gsm8k-check.js';
import { parseTrainConfig, splitTrainConfig, type TrainConfigInput } from './job-options.js';
import { jobHubOptions, loadJobData, renderPrompts } from './load.js';
import { checkLengthLimits, checkPromptLengths } from './preflight.js';
import { loadTrainedModel } from './saved-model.js';

/** What to evaluate. */
export interface EvaluateOptions {
  /** Adapter folder (default: the config's outputDir). */
  adapter?: string;
  /** Default: the seven default rewards. */
  rewardFunctions?: readonly RewardFunction[];
  /** Progress (a line per quarter of the completions) and warnings; default console. */
  logger?: Pick<Console, 'info' | 'warn'>;
}

/** Logs `grpojs: eval 660/2638 completions (25%) · 5.1/s · ETA 6m28s` at each quarter of an evaluation. */
function quarterlyProgress(logger: Pick<Console, 'info'>): (done: number, total: number) => void {
  const started = performance.now();
  let shown = 0;
  return (done, total) => {
    const quarter = total > 0 ? Math.floor((4 * done) / total) : 4;
    if (done === 0 || quarter <= shown) return;
    shown = quarter;
    const seconds = (performance.now() - started) / 1000;
    const rate = done / Math.max(seconds, 1e-9);
    logger.info(`grpojs: eval ${done}/${total} completions (${Math.floor((100 * done) / total)}%) · ${rate.toPrecision(3)}/s · ETA ${formatDuration((total - done) / rate)}`);
  };
}

/**
 * Evaluates a saved adapter and its base model on the config's eval split (first evalMaxSamples rows).
 * @throws TrainConfigError for a bad config, eval rows that would be the training rows (as in
 *   train()), or sequence lengths beyond the model's positions; Error when the config has no eval split.
 */
export async function evaluate(config: TrainConfigInput = {}, options: EvaluateOptions = {}): Promise<EvalReport> {
  const resolved = parseTrainConfig(config);
  const { grpo, job } = splitTrainConfig(resolved);
  if (job.evalSplit === null) throw new Error('evaluate: evalSplit is null; set evalSplit (CLI: --eval-split test) to the split to evaluate on.');
  const logger = options.logger ?? console;
  const data = await loadJobData(job, { evalLimit: grpo.evalMaxSamples, evalOnly: true, seed: grpo.seed, logger });
  const adapter = options.adapter ?? grpo.outputDir;
  const model = await loadTrainedModel(adapter, {
    quantization: job.quantization,
    doubleQuant: job.doubleQuant,
    accel: job.accel,
    ...(job.backend !== null ? { backend: job.backend } : {}),
    promptFormat: job.promptFormat,
    ...jobHubOptions(job),
  });
  logger.info(`grpojs: prompt format: ${model.promptFormat.description}`);
  renderPrompts(data, model.promptFormat, job.systemPrompt);
  try {
    const limit = maxPositionsOf(model.modelConfig);
    checkLengthLimits(grpo, limit, model.baseModelNameOrPath);
    checkPromptLengths(data, grpo, model.tokenizer, limit, model.baseModelNameOrPath);
    const rewardFunctions = options.rewardFunctions ?? defaultRewards;
    // The same evaluation the trainer runs (greedy decoding, rewards, accuracy, base with adapters
    // off), called directly so a plain or merged model folder without adapters works too.
    return await evaluateWithBase(
      {
        model,
        tokenizer: model.tokenizer,
        rewardFunctions,
        rewardNames: rewardNames(rewardFunctions),
        rewardWeights: resolveRewardWeights(grpo.rewardWeights, rewardFunctions),
        isCorrect: gsm8kExactMatch,
        maxPromptLength: grpo.maxPromptLength,
        maxCompletionLength: grpo.maxCompletionLength,
        batchSize: grpo.perDeviceEvalBatchSize,
        onProgress: quarterlyProgress(logger),
      },
      data.eval, // already cut to evalMaxSamples by loadJobData
      0,
      null,
    );
  } finally {
    model.dispose();
  }
}
