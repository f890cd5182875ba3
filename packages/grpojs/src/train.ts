/**
 * `train(config)`: the reference job in one call. Loads GSM8K and the model (NF4 base + LoRA,
 * gradient checkpointing), scores with the seven default rewards, reports to the configured
 * trackers, runs the GRPOTrainer, evaluates the fine-tuned model against its base at the end, and
 * saves the adapter and tokenizer to outputDir (and, with saveMerged, a merged model to
 * outputDir/merged). Returns the report the CLI prints.
 */
import { basename, join, resolve } from 'node:path';
import { maxPositionsOf, writeFileAtomic } from '@grpojs/model';
import { defaultRewards, type RewardFunction } from '@grpojs/rewards';
import { GRPOTrainer, resolveRewardWeights, rewardNames, type EvalReport, type TrainResult } from '@grpojs/rl';
import { createTrackers, redactConfig, redactLogger, redactText, type Metrics, type Tracker, type MultiTracker } from '@grpojs/tracking';
import { gsm8kExactMatch } from './gsm8k-check.js';
import { parseTrainConfig, splitTrainConfig, type TrainConfig, type TrainConfigInput } from './job-options.js';
import { jobTokenizerName, loadJobData, loadJobModel, renderPrompts } from './load.js';
import { checkBatchFits, checkJobFolders, checkLengthLimits, checkPromptLengths, checkRewardWeights, modelPositionLimit } from './preflight.js';
import { resolvePromptFormat } from './prompt-format.js';
import { modelIdentity, prepareJobOutputDir, RESUMABLE_JOB_FIELDS } from './run-continuity.js';
import { jobSecrets } from './secrets.js';

/** The W&B project of the job when neither `wandbProject` nor WANDB_PROJECT names one. */
export const DEFAULT_WANDB_PROJECT = 'gsm8k-grpo';

/** Everything besides the config that a programmatic caller may supply. */
export interface TrainHooks {
  /** Reward functions (default: the seven defaultRewards, in the reference order). */
  rewardFunctions?: readonly RewardFunction[];
  /** Replaces the trackers built from reportTo. */
  tracker?: Tracker;
  /** Resume from a checkpoint folder, or the newest under outputDir with 'latest'. */
  resume?: string | 'latest';
  /**
   * Stop when aborted: the step under way is abandoned at its next decode step or micro-batch (no
   * partial update) and a checkpoint of the last completed step is saved (GRPOTrainer.train's signal).
   */
  signal?: AbortSignal;
  onStep?: (step: number, metrics: Metrics) => void | Promise<void>;
  /** Progress lines and warnings (default console). */
  logger?: Pick<Console, 'info' | 'warn'>;
  /** Base for relative paths of trackers and .env (default process.cwd()). */
  cwd?: string;
}

/** What a training job produced. */
export interface TrainReport {
  /**
   * The job as it ran: every field filled, `promptFormat` resolved to 'seed' or 'chat-template'
   * and `loraTargetModules` to the modules the model put adapters on.
   */
  config: TrainConfig;
  /** Absolute folder holding adapter_config.json, adapter_model.safetensors, checkpoints, report.json. */
  outputDir: string;
  /** The local run directory (metrics.jsonl, report.html), when the local tracker ran. */
  runDir: string | null;
  /** Fine-tuned vs base on the eval split at the last step; null without eval data. */
  finalEval: EvalReport | null;
  /** The reward functions as the metrics name them (`rewards/<name>/mean`), in order, with their weights. */
  rewards: { name: string; weight: number }[];
  result: TrainResult;
  trainRows: number;
  evalRows: number;
  seconds: number;
}

/**
 * Runs a GRPO fine-tuning job end to end.
 * @example const report = await train({ model: 'distilgpt2', maxSteps: 100 });
 *          console.log(report.finalEval?.model.accuracy, report.finalEval?.base.accuracy);
 * @throws TrainConfigError for a bad config (every bad field named), also for what is found before
 *   the weights load: eval rows that would be the training rows, sequence lengths beyond the model's
 *   positions; UnwritableFolderError for an outputDir or runsDir that cannot be written (checked
 *   first); HubUnavailableError when the hub is needed and unreachable (it names the `model`/`data`
 *   options for local files).
 */
export async function train(config: TrainConfigInput = {}, hooks: TrainHooks = {}): Promise<TrainReport> {
  const started = performance.now();
  const resolved = parseTrainConfig(config);
  const { grpo, job } = splitTrainConfig(resolved);
  // Every line, name and config this job writes or prints is redacted with these (more once .env is loaded).
  const secrets = jobSecrets();
  const logger = redactLogger(hooks.logger ?? console, secrets);
  const rewardFunctions = hooks.rewardFunctions ?? defaultRewards;
  // Everything that can be checked without the weights is checked before they load (preflight.ts).
  checkRewardWeights(grpo, rewardFunctions);
  await checkJobFolders(resolved, { ...(hooks.cwd !== undefined ? { cwd: hooks.cwd } : {}), localTracker: hooks.tracker === undefined });
  await prepareJobOutputDir(grpo, hooks.resume !== undefined, logger);
  const data = await loadJobData(job, { evalLimit: grpo.evalMaxSamples, seed: grpo.seed, logger });
  logger.info(`grpojs: ${data.train.length} training rows from ${job.data} (${job.trainSplit}), ${data.eval.length} eval rows`);
  const evalPlanLine = evaluationPlanLine(grpo, data.eval.length);
  if (evalPlanLine !== null) logger.info(evalPlanLine);
  checkBatchFits(data.train.length, grpo);
  const limit = await modelPositionLimit(job);
  if (limit !== null) checkLengthLimits(grpo, limit, job.model);
  const model = await loadJobModel(job, grpo.seed, (line) => logger.info(`grpojs: ${line}`));
  const promptFormat = resolvePromptFormat(job.promptFormat, model.tokenizer, jobTokenizerName(job));
  logger.info(`grpojs: prompt format: ${promptFormat.description}`);
  renderPrompts(data, promptFormat, job.systemPrompt);
  // What ran, with the choices the model and tokenizer made filled in: recorded in report.json and
  // the tracker's run config, and read back by loadTrainedModel for the prompt format.
  const targets = [...(model.lora?.targetModules ?? [])];
  const ran: TrainConfig = { ...resolved, promptFormat: promptFormat.format, loraTargetModules: targets };
  logger.info(`grpojs: LoRA adapters on ${targets.join(', ')}`);
  const tracker: Tracker & Partial<Pick<MultiTracker, 'runDir'>> =
    hooks.tracker ??
    createTrackers({
      reportTo: job.reportTo,
      secrets,
      ...(hooks.cwd !== undefined ? { cwd: hooks.cwd } : {}),
      local: { runsDir: job.runsDir },
      wandb: {
        defaultProject: DEFAULT_WANDB_PROJECT,
        ...(job.wandbProject !== null ? { project: job.wandbProject } : {}),
        ...(job.wandbEntity !== null ? { entity: job.wandbEntity } : {}),
      },
    });
  secrets.push(...jobSecrets());
  let trainer: GRPOTrainer | undefined;
  try {
    checkPromptLengths(data, grpo, model.tokenizer, maxPositionsOf(model.modelConfig), job.model);
    trainer = new GRPOTrainer({
      model,
      tokenizer: model.tokenizer,
      rewardFunctions,
      trainDataset: data.train,
      evalDataset: data.eval,
      isCorrect: gsm8kExactMatch,
      // The name and the job settings are recorded (checkpoints, trackers), never used to find files.
      config: { ...grpo, runName: redactText(grpo.runName ?? basename(resolve(grpo.outputDir)), secrets) },
      runConfig: redactConfig(splitTrainConfig(ran).job, secrets),
      mayChangeOnResume: RESUMABLE_JOB_FIELDS,
      modelIdentity: modelIdentity(model),
      tracker,
      logger,
      ...(hooks.onStep ? { onStep: hooks.onStep } : {}),
    });
    if (hooks.resume !== undefined) await trainer.resume(hooks.resume);
    const result = await trainer.train(hooks.signal ? { signal: hooks.signal } : {});
    // The merged export is written while the trained adapter is still in memory; like PEFT's
    // merge_and_unload on a 4-bit base, it folds the update into the dequantized weights.
    if (job.saveMerged && result.completed) await model.save(join(grpo.outputDir, 'merged'), { merged: true });
    const last = result.evalReports.at(-1);
    const weights = resolveRewardWeights(grpo.rewardWeights, rewardFunctions);
    const report: TrainReport = {
      config: ran,
      outputDir: resolve(grpo.outputDir),
      runDir: typeof tracker.runDir === 'string' ? tracker.runDir : null,
      finalEval: last !== undefined && last.step === result.globalStep ? last : null,
      rewards: rewardNames(rewardFunctions).map((name, k) => ({ name, weight: weights[k] })),
      result,
      trainRows: data.train.length,
      evalRows: data.eval.length,
      seconds: (performance.now() - started) / 1000,
    };
    await writeFileAtomic(join(grpo.outputDir, 'report.json'), JSON.stringify(redactConfig(reportSummary(report), secrets), null, 2) + '\n');
    return report;
  } finally {
    trainer?.dispose();
    model.dispose();
  }
}

/**
 * One line on which rows the evaluations use: with periodicEvalSamples, the sample and the full
 * final evaluation; without it, every row each time and how to make the periodic ones cheaper
 * (each costs as much as a few dozen training steps on GSM8K's 1319 rows). Null without evaluation.
 */
export function evaluationPlanLine(grpo: Pick<TrainConfig, 'evalSteps' | 'periodicEvalSamples' | 'seed'>, evalRows: number): string | null {
  if (evalRows === 0) return null;
  if (grpo.evalSteps === 0) return `grpojs: evaluation: all ${evalRows} eval rows at the end only (evalSteps 0)`;
  const k = grpo.periodicEvalSamples;
  if (k !== null && k < evalRows) {
    return `grpojs: evaluation: every ${grpo.evalSteps} steps on a fixed sample of ${k} of the ${evalRows} eval rows (periodicEvalSamples, seed ${grpo.seed}; logged with eval_samples ${k}), at the end on all ${evalRows}`;
  }
  return (
    `grpojs: evaluation: all ${evalRows} eval rows every ${grpo.evalSteps} steps and at the end, greedy, fine-tuned and base` +
    (evalRows > 200 ? '; --periodic-eval-samples 200 (periodicEvalSamples) evaluates a fixed sample in between and every row at the end (docs/rl.md)' : '')
  );
}

/** The JSON written to `<outputDir>/report.json`: config, steps, and the final fine-tuned vs base scores. */
export function reportSummary(report: TrainReport): Record<string, unknown> {
  return {
    outputDir: report.outputDir,
    runDir: report.runDir,
    globalStep: report.result.globalStep,
    totalSteps: report.result.totalSteps,
    completed: report.result.completed,
    skippedSteps: report.result.skippedSteps,
    trainRows: report.trainRows,
    evalRows: report.evalRows,
    seconds: report.seconds,
    finalEval: report.finalEval === null ? null : { step: report.finalEval.step, model: report.finalEval.model, base: report.finalEval.base },
    rewards: report.rewards,
    config: report.config,
  };
}
