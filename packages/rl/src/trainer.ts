/**
 * GRPOTrainer: TRL GRPOTrainer's loop for any PolicyModel. One optimizer step runs the named
 * phases generate → score → advantages (batch.ts, once per generation batch) → log-probs → loss
 * (train-step.ts, per micro-batch, gradients accumulated) → clip + AdamW (optimizer.ts) → log
 * (metrics.ts); evaluation (evaluate.ts) and checkpoints (checkpoint.ts) run on their schedules.
 */
import type { Metrics } from '@grpojs/tracking';
import * as tf from '@tensorflow/tfjs-core';
import { appendJsonl } from '@grpojs/tracking';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildGenerationBatch, stopIfAborted, type BatchContext, type GenerationBatch } from './batch.js';
import { rotateCheckpoints, saveCheckpoint, type TrainerState } from './checkpoint.js';
import { prepareCompletionsFile } from './completions-file.js';
import { outputFileIo } from './file-context.js';
import { EntropyController, entropyBonusEnabled } from './entropy-bonus.js';
import { parseGRPOConfig, optimizerStepsPerGeneration, resolvedStepsPerGeneration, stepsPerGenerationBatch, type GRPOConfig } from './config.js';
import { DataOrder } from './data-order.js';
import { CheckpointError, GRPOTrainerError, TrainingDivergedError } from './errors.js';
import { EvalPlan } from './eval-plan.js';
import { evaluateWithBase, type EvalContext, type EvalReport, type EvalScores } from './evaluate.js';
import { clipByGlobalNorm, globalNorm, GradientAccumulator } from './gradients.js';
import { batchTokenCount, completionRecords, generationMetrics, lossMetrics, MetricsWindow, trackerCompletions } from './metrics.js';
import { AdamW } from './optimizer.js';
import { prepareOutputDir } from './output-dir.js';
import { checkSameRun, loadResumePoint } from './resume.js';
import { runIdentity, type RunIdentity } from './run-identity.js';
import { learningRateAt, resolveWarmupSteps, type ScheduleOptions } from './schedule.js';
import { deriveSeed } from './rng.js';
import type { RolloutBackend } from './rollout/backend.js';
import { createRolloutBackend } from './rollout/create.js';
import { resolveRewardWeights, rewardNames } from './scoring.js';
import { accumulateMicroBatch, type MicroBatchStats } from './train-step.js';
import { findBadTensor } from './weight-check.js';
import { validateTrainerOptions, type GRPOTrainerOptions, type TrainOptions, type TrainResult } from './trainer-options.js';

/** How every random draw is derived (recorded in trainer_state.json). */
const RNG_SCHEME =
  'sampling seed = deriveSeed(seed, "sample", step), one generate call per generation batch; ' +
  'LoRA dropout seed = deriveSeed(seed, "dropout", globalStep, microStep, iteration); ' +
  'data order = @grpojs/data permutation(n, seed, epoch)';

/** True when `error` is how an aborted `signal` stopped a generate call or a step (its reason, or an AbortError). */
function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && (error === signal.reason || (error instanceof Error && error.name === 'AbortError'));
}

/** The GRPO trainer (see docs/rl.md). */
export class GRPOTrainer {
  readonly config: GRPOConfig;
  readonly rewardNames: string[];
  readonly totalSteps: number;
  private readonly variables: tf.Variable[];
  private readonly optimizer: AdamW;
  private readonly data: DataOrder;
  private readonly schedule: ScheduleOptions;
  private readonly weights: number[];
  private readonly window = new MetricsWindow();
  private readonly logger: Pick<Console, 'warn' | 'info'>;
  /** Where completions are sampled (config.rolloutKind, or options.rollout). */
  private readonly rollout: RolloutBackend;
  /** TRL's entropy bonus; null when entropyCoef is 0 and useAdaptiveEntropy is off (no entropy gradient). */
  private readonly entropyControl: EntropyController | null;
  private globalStepValue = 0;
  private numTokens = 0;
  private skippedSteps = 0;
  /** Skipped steps since the last applied update (not checkpointed: a resumed run starts at 0). */
  private consecutiveSkipped = 0;
  /** The generation batch in use (kept across numIterations steps). */
  private batch: GenerationBatch | null = null;
  /** The batch of the latest step, for completion logging. */
  private lastUsedBatch: GenerationBatch | null = null;
  /** The base model's scores on every eval row, and on the periodic sample (periodicEvalSamples). */
  private baseEval: EvalScores | null = null;
  private periodicBaseEval: EvalScores | null = null;
  /** Which eval rows each evaluation uses. */
  private readonly evalPlan: EvalPlan;
  /** Seconds per greedy eval completion: measured by the latest evaluation, else from the latest rollout; null before either. */
  private secondsPerEvalCompletion: number | null = null;
  /** Whether secondsPerEvalCompletion was measured by an evaluation (then rollouts no longer update it). */
  private evalCostMeasured = false;
  private logHistory: (Metrics & { step: number })[] = [];
  private readonly identity: RunIdentity;
  /** Set once the output folder was checked (a fresh run) or a checkpoint restored: outputDir is this run's. */
  private outputDirReady = false;

  constructor(private readonly options: GRPOTrainerOptions) {
    this.config = parseGRPOConfig(options.config ?? {});
    const c = this.config;
    validateTrainerOptions(options);
    this.rewardNames = rewardNames(options.rewardFunctions);
    this.weights = resolveRewardWeights(c.rewardWeights, options.rewardFunctions);
    this.variables = options.model.trainableVariables();
    if (this.variables.length === 0) throw new GRPOTrainerError('model.trainableVariables() is empty: load the model with LoRA adapters to train it.');
    this.logger = options.logger ?? console;
    this.rollout = options.rollout ?? createRolloutBackend(c, options.model, this.logger);
    this.identity = runIdentity(options.trainDataset, options.runConfig, options.modelIdentity ?? null);
    this.data = new DataOrder(options.trainDataset.length, c.perDeviceTrainBatchSize * resolvedStepsPerGeneration(c), c.seed, c.shuffleDataset);
    const stepsPerEpoch = this.data.batchesPerEpoch * stepsPerGenerationBatch(c);
    this.totalSteps = c.maxSteps > 0 ? c.maxSteps : Math.max(1, Math.ceil(c.numTrainEpochs * stepsPerEpoch));
    const warmupSteps = resolveWarmupSteps(c.warmupSteps, c.warmupRatio, this.totalSteps);
    this.schedule = { type: c.lrSchedulerType, learningRate: c.learningRate, warmupSteps, totalSteps: this.totalSteps };
    this.optimizer = new AdamW(this.variables, { beta1: c.adamBeta1, beta2: c.adamBeta2, epsilon: c.adamEpsilon, weightDecay: c.weightDecay });
    this.entropyControl = entropyBonusEnabled(c) ? new EntropyController(c) : null;
    const evalRows = options.evalDataset ?? [];
    this.evalPlan = new EvalPlan(c.evalMaxSamples ? evalRows.slice(0, c.evalMaxSamples) : evalRows, c.periodicEvalSamples, c.seed);
  }

  /** Optimizer steps done so far. */
  get globalStep(): number {
    return this.globalStepValue;
  }

  private get batchContext(): BatchContext {
    const { model, tokenizer, rewardFunctions } = this.options;
    return { model, tokenizer, rollout: this.rollout, rewardFunctions, rewardNames: this.rewardNames, rewardWeights: this.weights, config: this.config };
  }

  /** Runs the remaining optimizer steps (from the resumed position, if any). */
  async train(options: TrainOptions = {}): Promise<TrainResult> {
    const c = this.config;
    const tracker = this.options.tracker;
    if (!this.outputDirReady) await prepareOutputDir(c.outputDir, { resuming: false, overwrite: c.overwriteOutputDir, logger: this.logger });
    this.outputDirReady = true;
    await mkdir(c.outputDir, { recursive: true });
    await tracker?.init({ name: c.runName ?? c.outputDir, config: { ...this.options.runConfig, ...c }, totalSteps: this.totalSteps, startStep: this.globalStepValue });
    const stepMetrics: (Metrics & { step: number })[] = [];
    const evalReports: EvalReport[] = [];
    let lastCheckpoint: string | null = null;
    let lastEvalStep = -1;
    const stopAt = Math.min(this.totalSteps, options.stopAfterStep ?? this.totalSteps);
    while (this.globalStepValue < stopAt && !options.signal?.aborted) {
      const metrics = await this.step(options.signal);
      if (metrics === null) break; // abandoned by the signal; nothing of it was kept
      const step = this.globalStepValue;
      stepMetrics.push({ ...metrics, step });
      this.window.add(metrics);
      tracker?.progress?.(step, this.progressEstimate(step));
      await this.options.onStep?.(step, metrics);
      if (step % c.loggingSteps === 0 || step === this.totalSteps) await this.log(step);
      if (c.maxConsecutiveSkippedSteps > 0 && this.consecutiveSkipped >= c.maxConsecutiveSkippedSteps) {
        await this.stopDiverged(
          step,
          `${this.consecutiveSkipped} optimizer step(s) in a row, up to step ${step}, were skipped (maxConsecutiveSkippedSteps = ${c.maxConsecutiveSkippedSteps}; 0 never stops), ` +
            `so no update was kept since step ${step - this.consecutiveSkipped}; ${lastCheckpoint === null ? 'this run wrote no checkpoint' : `the last checkpoint is ${lastCheckpoint}`}`,
        );
      }
      if (this.options.evalDataset?.length && ((c.evalSteps > 0 && step % c.evalSteps === 0) || step === this.totalSteps)) {
        // A stop during a periodic evaluation drops it (the step itself is complete and is saved
        // below); the evaluation at the last step is the final one and is never cut short.
        const report = await this.evaluateAndLog(step < this.totalSteps ? options.signal : undefined);
        if (report === null) break;
        evalReports.push(report);
        lastEvalStep = step;
      }
      if (c.saveSteps > 0 && step % c.saveSteps === 0) lastCheckpoint = await this.saveCheckpoint();
    }
    const step = this.globalStepValue;
    const completed = step >= this.totalSteps;
    if (lastCheckpoint === null || !lastCheckpoint.endsWith(`checkpoint-${step}`)) lastCheckpoint = await this.saveCheckpoint();
    if (completed && this.skippedSteps * 2 > step) {
      await this.stopDiverged(
        step,
        `${this.skippedSteps} of ${step} optimizer steps were skipped, more than half: the run trained on almost nothing, so no adapter was saved to ${c.outputDir} (its state at step ${step} is in ${lastCheckpoint})`,
      );
    }
    if (completed) {
      if (this.options.evalDataset?.length && lastEvalStep !== step) evalReports.push((await this.evaluateAndLog()) as EvalReport); // no signal: never null
      // Like TRL's save_model + tokenizer.save_pretrained: the adapter and the tokenizer files, so the
      // folder loads with PeftModel.from_pretrained / AutoTokenizer.from_pretrained and with loadCausalLM.
      const bad = findBadTensor(this.variables.map((v) => ({ name: v.name, value: v as tf.Tensor, norm: true })));
      if (bad !== null) throw new CheckpointError(`Refusing to save the adapter to ${c.outputDir}: trainable variable ${bad}; nothing was written.`);
      await this.options.model.save(c.outputDir);
    }
    await this.rollout.close();
    await tracker?.summary({ globalStep: step, skippedSteps: this.skippedSteps, ...(evalReports.at(-1)?.metrics ?? {}) });
    await tracker?.finish();
    return { globalStep: step, totalSteps: this.totalSteps, completed, stepMetrics, logHistory: [...this.logHistory], evalReports, lastCheckpoint, skippedSteps: this.skippedSteps };
  }

  /**
   * One optimizer step (0-based index = globalStep before the call); returns its metrics, or null
   * when `signal` aborted it before the update (the trainer's state is then as before the call).
   */
  private async step(signal?: AbortSignal): Promise<Metrics | null> {
    const before = { batch: this.batch, numTokens: this.numTokens, lastUsedBatch: this.lastUsedBatch };
    try {
      return await this.runStep(signal);
    } catch (error) {
      if (!isAbort(error, signal)) throw error;
      // Abandoned before the optimizer ran: undo what generating the batch changed, so the
      // checkpoint written at the stop is exactly the last completed step's.
      this.batch = before.batch;
      this.numTokens = before.numTokens;
      this.lastUsedBatch = before.lastUsedBatch;
      return null;
    }
  }

  private async runStep(signal: AbortSignal | undefined): Promise<Metrics> {
    const c = this.config;
    const s = this.globalStepValue;
    const started = performance.now();
    let generationSeconds = 0;
    let syncSeconds: number | null = null;
    if (this.batch === null) {
      const index = Math.floor(s / stepsPerGenerationBatch(c));
      const rows = this.data.batch(index).rows.map((i) => this.options.trainDataset[i]);
      // The batch is sampled by the policy after s optimizer steps (a server rollout loads it first).
      const syncStarted = performance.now();
      await this.rollout.syncPolicy(s, signal);
      if (this.rollout.kind !== 'local') syncSeconds = (performance.now() - syncStarted) / 1000;
      this.batch = await buildGenerationBatch(this.batchContext, index, s, rows, signal);
      this.numTokens += batchTokenCount(this.batch);
      generationSeconds = this.batch.generationSeconds;
      // Until an evaluation is measured, its cost is estimated from the rollouts: a greedy eval
      // completion takes at most as long as a sampled one (same generate call and length limit;
      // argmax instead of sampling makes it about half on CPU, docs/rl.md), so this errs long.
      const rowsGenerated = this.batch.rollout.completionIds.length;
      if (!this.evalCostMeasured && rowsGenerated > 0) this.secondsPerEvalCompletion = generationSeconds / rowsGenerated;
      const unscored = this.batch.rewards.filter(Number.isNaN).length;
      if (unscored > 0) this.logger.warn(`grpojs: step ${s + 1}: every reward function returned null for ${unscored} completion(s); their advantage is 0.`);
    }
    const batch = this.batch;
    this.lastUsedBatch = batch;
    const trainingStarted = performance.now();
    const accumulator = new GradientAccumulator();
    const stats: MicroBatchStats[] = [];
    // A generation over k optimizer steps gives each its own micro-batches, cycling for each of the μ passes (TRL's buffer).
    const slot = s % optimizerStepsPerGeneration(c);
    const micros = batch.micro.filter((mb) => (mb.slot ?? 0) === slot);
    const aggregation = { gradientAccumulationSteps: micros.length, maxCompletionLength: c.maxCompletionLength, activeTokensInGenerationBatch: batch.activeTokens };
    const lr = learningRateAt(s, this.schedule);
    const entropyCoef = this.entropyControl?.appliedCoef() ?? null;
    const metrics: Metrics = generationMetrics(batch, this.rewardNames);
    if (batch.samplingMetrics) Object.assign(metrics, batch.samplingMetrics);
    const skip = (reason: string) => {
      metrics.skipped_nonfinite = 1;
      this.skippedSteps++;
      this.consecutiveSkipped++;
      this.logger.warn(`grpojs: step ${s + 1} skipped: ${reason}.`);
    };
    try {
      for (const [m, micro] of micros.entries()) {
        await stopIfAborted(signal); // only before a micro-batch: once the update starts, the step completes
        // LoRA dropout masks from the position in training only, so a resumed run draws the same ones.
        const dropoutSeed = deriveSeed(c.seed, 'dropout', s, m, s % c.numIterations);
        stats.push(accumulateMicroBatch(this.options.model, this.variables, micro, c, aggregation, accumulator, dropoutSeed, entropyCoef));
      }
      if (this.entropyControl && stats.length > 0) {
        this.entropyControl.endStep(
          stats.reduce((a, x) => a + (x.entropySum ?? 0), 0),
          stats.reduce((a, x) => a + (x.entropyTokens ?? 0), 0),
        );
        metrics.entropy_coef = this.entropyControl.entropyCoef;
      }
      const grads = accumulator.value;
      metrics.skipped_nonfinite = 0;
      if (grads) {
        Object.assign(metrics, lossMetrics(stats));
        metrics.grad_norm = globalNorm(grads);
        if (Number.isFinite(metrics.loss) && Number.isFinite(metrics.grad_norm)) {
          const clipped = clipByGlobalNorm(grads, metrics.grad_norm, c.maxGradNorm);
          let bad: string | null;
          try {
            bad = this.optimizer.stepOrRollBack(clipped, lr);
          } finally {
            clipped.forEach((g) => g.dispose());
          }
          if (bad === null) this.consecutiveSkipped = 0;
          else skip(`the update made ${bad}, so it was rolled back (weights and AdamW state as before the step)`);
        } else {
          skip(`loss ${metrics.loss}, grad_norm ${metrics.grad_norm} (NaN/Inf); no update applied`);
        }
      }
    } finally {
      accumulator.dispose();
    }
    this.globalStepValue = s + 1;
    if (this.globalStepValue % stepsPerGenerationBatch(c) === 0) this.batch = null;
    const done = performance.now();
    Object.assign(metrics, {
      learning_rate: learningRateAt(s + 1, this.schedule), // as HF Trainer logs it: after the scheduler step
      epoch: this.globalStepValue / (this.data.batchesPerEpoch * stepsPerGenerationBatch(c)),
      num_tokens: this.numTokens,
      step_time: (done - started) / 1000,
      'step_time/generation': generationSeconds,
      'step_time/training': (done - trainingStarted) / 1000,
    });
    if (c.dropZeroVarianceGroups) metrics.frac_groups_dropped = batch.fracGroupsDropped;
    if (syncSeconds !== null) metrics['step_time/weight_sync'] = syncSeconds;
    return metrics;
  }

  private async log(step: number): Promise<void> {
    const metrics = this.window.flush();
    this.logHistory.push({ ...metrics, step });
    await this.options.tracker?.log(metrics, step);
    const batch = this.lastUsedBatch;
    if (this.config.logCompletions && batch) {
      const records = completionRecords(batch, this.rewardNames, step);
      const completions = join(this.config.outputDir, 'completions.jsonl');
      await outputFileIo('append sample completions to', completions, () => appendJsonl(completions, records));
      await this.options.tracker?.logCompletions(trackerCompletions(records, this.config.logUniquePrompts, this.config.numCompletionsToPrint), step);
    }
  }

  /** Flushes the metrics window, closes the tracker and throws TrainingDivergedError; saves nothing. */
  private async stopDiverged(step: number, what: string): Promise<never> {
    if (this.window.size > 0) await this.log(step);
    await this.options.tracker?.summary({ globalStep: step, skippedSteps: this.skippedSteps });
    await this.options.tracker?.finish();
    throw new TrainingDivergedError(
      `Training diverged: ${what}. Steps are skipped when the loss or gradients are NaN/Inf or an update makes a weight NaN/Inf or explode (see the warnings above). ` +
        'Lower learningRate, clip gradients (maxGradNorm > 0), check temperature and the reward functions, then start a new run (another outputDir, or overwriteOutputDir): a resume continues the same settings and refuses changed ones (docs/reliability.md).',
    );
  }

  /** What the tracker's ETA needs besides the step rate: the expected seconds of the evaluations from `fromStep` on. */
  private progressEstimate(fromStep: number): { evalSecondsLeft: number } | undefined {
    if (this.evalPlan.full.length === 0 || this.secondsPerEvalCompletion === null) return undefined;
    const cached = { periodic: (this.evalPlan.sampled ? this.periodicBaseEval : this.baseEval) !== null, full: this.baseEval !== null };
    const completions = this.evalPlan.completionsFrom(fromStep, this.totalSteps, this.config.evalSteps, cached);
    return { evalSecondsLeft: completions * this.secondsPerEvalCompletion };
  }

  /** Evaluates the fine-tuned and the base model on every row of evalDataset (greedy); see EvalReport. */
  async evaluate(): Promise<EvalReport> {
    return this.runEvaluation(undefined, true);
  }

  /** A final evaluation uses every eval row; a periodic one the periodic rows (every row, or the periodicEvalSamples sample). */
  private async runEvaluation(signal: AbortSignal | undefined, final: boolean): Promise<EvalReport> {
    const c = this.config;
    if (this.evalPlan.full.length === 0) throw new GRPOTrainerError('evaluate() needs an evalDataset: pass evalDataset rows { prompt, ... } to the GRPOTrainer.');
    const sample = !final && this.evalPlan.sampled;
    const rows = sample ? this.evalPlan.periodic : this.evalPlan.full;
    const step = this.globalStepValue;
    const started = performance.now();
    const tracker = this.options.tracker;
    const ctx: EvalContext = {
      ...this.batchContext,
      isCorrect: this.options.isCorrect ?? null,
      maxPromptLength: c.maxPromptLength,
      maxCompletionLength: c.maxCompletionLength,
      batchSize: c.perDeviceEvalBatchSize,
      ...(signal ? { signal } : {}),
      onProgress: (done, total) => tracker?.evalProgress?.({ step, rows: rows.length, total, done, seconds: (performance.now() - started) / 1000, final }),
    };
    const cachedBase = sample ? this.periodicBaseEval : this.baseEval;
    const report = await evaluateWithBase(ctx, rows, step, cachedBase);
    if (sample) this.periodicBaseEval = report.base;
    else this.baseEval = report.base;
    const completions = rows.length * (cachedBase === null ? 2 : 1);
    if (completions > 0) {
      this.secondsPerEvalCompletion = report.seconds / completions;
      this.evalCostMeasured = true;
    }
    return report;
  }

  /** Evaluates and logs; null when `signal` aborted it (nothing logged). */
  private async evaluateAndLog(signal?: AbortSignal): Promise<EvalReport | null> {
    let report: EvalReport;
    try {
      report = await this.runEvaluation(signal, this.globalStepValue >= this.totalSteps);
    } catch (error) {
      if (isAbort(error, signal)) return null;
      throw error;
    }
    this.options.tracker?.progress?.(report.step, this.progressEstimate(report.step + 1)); // this evaluation is no longer to come
    this.logHistory.push({ ...report.metrics, step: report.step });
    await this.options.tracker?.log(report.metrics, report.step);
    return report;
  }

  /** Writes checkpoint-<globalStep> (atomic) and applies saveTotalLimit; returns its path. */
  async saveCheckpoint(): Promise<string> {
    const c = this.config;
    const bad = this.optimizer.findBadState();
    if (bad !== null) throw new CheckpointError(`Refusing to write checkpoint-${this.globalStepValue} to ${c.outputDir}: ${bad}; nothing was written.`);
    const index = Math.floor(this.globalStepValue / stepsPerGenerationBatch(c));
    const pos = this.data.batch(index);
    const state: TrainerState = {
      version: 1,
      globalStep: this.globalStepValue,
      totalSteps: this.totalSteps,
      epoch: this.globalStepValue / (this.data.batchesPerEpoch * stepsPerGenerationBatch(c)),
      numTokens: this.numTokens,
      skippedSteps: this.skippedSteps,
      dataPosition: { generationBatchIndex: index, epoch: pos.epoch, batchInEpoch: pos.batchInEpoch },
      logWindow: this.window.snapshot(),
      logHistory: this.logHistory,
      rewardNames: this.rewardNames,
      baseEval: this.baseEval,
      periodicBaseEval: this.periodicBaseEval,
      config: c,
      identity: this.identity,
      ...(this.entropyControl && c.useAdaptiveEntropy ? { entropyControl: this.entropyControl.state() } : {}),
    };
    const path = await saveCheckpoint(c.outputDir, this.options.model, {
      state,
      scheduler: { ...this.schedule, lastLearningRate: learningRateAt(Math.max(0, this.globalStepValue - 1), this.schedule) },
      rng: { seed: c.seed, scheme: RNG_SCHEME },
      variables: this.variables.map((v) => ({ name: v.name, shape: [...v.shape], data: v.dataSync() as Float32Array })),
      optimizer: this.optimizer.state(),
      generationBatch: this.batch,
    });
    await rotateCheckpoints(c.outputDir, c.saveTotalLimit);
    return path;
  }

  /**
   * Restores a checkpoint folder ('latest' = the newest under outputDir, `checkpoint-<step>` = that
   * one under outputDir); train() then continues from it. Refuses (CheckpointError) a damaged
   * checkpoint, naming the previous sound one, and a checkpoint of another run (resume.ts).
   */
  async resume(checkpoint: string | 'latest'): Promise<void> {
    await prepareOutputDir(this.config.outputDir, { resuming: true, overwrite: false, logger: this.logger });
    const { dir, contents: saved } = await loadResumePoint(checkpoint, this.config.outputDir, this.variables);
    checkSameRun(dir, saved.state, { config: this.config, identity: this.identity, rewardNames: this.rewardNames, mayChange: this.options.mayChangeOnResume ?? [] }, this.logger);
    this.optimizer.loadState(saved.optimizer);
    tf.tidy(() => saved.variables.forEach((v, i) => this.variables[i].assign(tf.tensor(v.data, v.shape, 'float32'))));
    this.globalStepValue = saved.state.globalStep;
    this.numTokens = saved.state.numTokens;
    this.skippedSteps = saved.state.skippedSteps;
    this.logHistory = saved.state.logHistory;
    this.baseEval = saved.state.baseEval;
    // periodicEvalSamples may change on resume: a cached sample score of another size is dropped.
    const periodicBase = saved.state.periodicBaseEval ?? null;
    this.periodicBaseEval = this.evalPlan.sampled && periodicBase?.samples === this.evalPlan.periodic.length ? periodicBase : null;
    this.window.restore(saved.state.logWindow);
    if (this.entropyControl && saved.state.entropyControl) this.entropyControl.restore(saved.state.entropyControl);
    this.batch = saved.generationBatch;
    this.outputDirReady = true;
    await prepareCompletionsFile(join(this.config.outputDir, 'completions.jsonl'), this.globalStepValue, this.logger);
  }

  /** Frees the optimizer state (the model stays the caller's). */
  dispose(): void {
    this.optimizer.dispose();
  }
}
