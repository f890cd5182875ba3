/**
 * SFTTrainer: TRL SFTTrainer's loop for any model with the PolicyModel port's log-probs. One
 * optimizer step takes perDeviceTrainBatchSize × gradientAccumulationSteps rows in the seeded data
 * order (data-order.ts), accumulates the token-normalized cross-entropy gradients of its
 * micro-batches (loss.ts), clips and applies AdamW with the schedule (the GRPO trainer's optimizer,
 * schedule and clipping), logs TRL's SFT metrics, evaluates the loss on evalDataset and writes
 * checkpoints an exact resume continues from (checkpoint.ts, resume.ts). It trains whatever
 * trainableVariables() returns: LoRA adapters, or every projection of a fully trainable model.
 */
import type { Metrics, Tracker } from '@grpojs/tracking';
import * as tf from '@tensorflow/tfjs-core';
import { mkdir } from 'node:fs/promises';
import { rotateCheckpoints, saveCheckpoint, type TrainerState } from '../checkpoint.js';
import { DataOrder } from '../data-order.js';
import { CheckpointError, GRPOTrainerError, TrainingDivergedError } from '../errors.js';
import { clipByGlobalNorm, globalNorm, GradientAccumulator } from '../gradients.js';
import { MetricsWindow } from '../metrics.js';
import { AdamW } from '../optimizer.js';
import { prepareOutputDir } from '../output-dir.js';
import { checkSameRun, loadResumePoint } from '../resume.js';
import { deriveSeed } from '../rng.js';
import { runIdentity, type RunIdentity } from '../run-identity.js';
import { learningRateAt, resolveWarmupSteps, type ScheduleOptions } from '../schedule.js';
import { parseSFTConfig, type SFTConfig, type SFTConfigInput } from './config.js';
import { splitAtLoss, tokenizeRow, type MessagesRenderer, type PromptCompletion, type SFTRow, type SFTTokenizer } from './dataset.js';
import { accumulateSFTMicroBatch, meanTokenAccuracy, sftLossSums, type SFTBatchStats, type SFTModel } from './loss.js';

const RNG_SCHEME = 'data order = @grpojs/data permutation(n, seed, epoch); dropout seed = deriveSeed(seed, "dropout", globalStep, microStep)';

/** Everything an SFTTrainer is built from. */
export interface SFTTrainerOptions {
  /** Its trainableVariables() are updated (LoRA adapters, or the whole model for full fine-tuning). */
  model: SFTModel;
  tokenizer: SFTTokenizer;
  trainDataset: readonly SFTRow[];
  /** Rows whose loss is reported as eval_loss. */
  evalDataset?: readonly SFTRow[];
  config?: SFTConfigInput;
  /**
   * Renders conversational rows (a chat template, e.g. @grpojs/data's renderChatTemplate with the
   * tokenizer's template). Needed only for `messages` rows and conversational prompt/completion rows.
   */
  renderMessages?: MessagesRenderer;
  tracker?: Tracker;
  /** More entries for the tracker's run config and the run identity checked on resume. */
  runConfig?: Readonly<Record<string, unknown>>;
  /** What identifies the base model, recorded in checkpoints; a resume with another is refused. */
  modelIdentity?: Readonly<Record<string, unknown>>;
  /** Called after every optimizer step with its own metrics. */
  onStep?: (step: number, metrics: Metrics) => void | Promise<void>;
  logger?: Pick<Console, 'warn' | 'info'>;
}

/** What train() returns. */
export interface SFTTrainResult {
  globalStep: number;
  totalSteps: number;
  /** Every log entry (window averages) and evaluation, with its step. */
  logHistory: (Metrics & { step: number })[];
  lastCheckpoint: string;
}

const noRenderer: MessagesRenderer = () => {
  throw new GRPOTrainerError('SFTTrainer: conversational rows need the renderMessages option (a chat template).');
};

/** The SFT trainer (see docs/sft.md). */
export class SFTTrainer {
  readonly config: SFTConfig;
  readonly totalSteps: number;
  private readonly trainRows: PromptCompletion[];
  private readonly evalRows: PromptCompletion[];
  private readonly variables: tf.Variable[];
  private readonly optimizer: AdamW;
  private readonly data: DataOrder;
  private readonly schedule: ScheduleOptions;
  private readonly identity: RunIdentity;
  private readonly window = new MetricsWindow();
  private readonly logger: Pick<Console, 'warn' | 'info'>;
  private globalStepValue = 0;
  private numTokens = 0;
  private skippedSteps = 0;
  private consecutiveSkipped = 0;
  private logHistory: (Metrics & { step: number })[] = [];
  private outputDirReady = false;

  constructor(private readonly options: SFTTrainerOptions) {
    const c = (this.config = parseSFTConfig(options.config ?? {}));
    this.logger = options.logger ?? console;
    const tokenize = { tokenizer: options.tokenizer, renderMessages: options.renderMessages ?? noRenderer, completionOnlyLoss: c.completionOnlyLoss, assistantOnlyLoss: c.assistantOnlyLoss, maxLength: c.maxLength };
    this.trainRows = options.trainDataset.map((row, i) => splitAtLoss(tokenizeRow(row, i, tokenize)));
    this.evalRows = (options.evalDataset ?? []).map((row, i) => splitAtLoss(tokenizeRow(row, i, tokenize)));
    this.variables = options.model.trainableVariables();
    if (this.variables.length === 0) throw new GRPOTrainerError('model.trainableVariables() is empty: load the model with LoRA adapters, or fully trainable, to train it.');
    this.identity = runIdentity(options.trainDataset, options.runConfig ?? {}, options.modelIdentity ?? null);
    this.data = new DataOrder(this.trainRows.length, c.perDeviceTrainBatchSize * c.gradientAccumulationSteps, c.seed);
    this.totalSteps = c.maxSteps > 0 ? c.maxSteps : Math.max(1, Math.ceil(c.numTrainEpochs * this.data.batchesPerEpoch));
    const warmupSteps = resolveWarmupSteps(c.warmupSteps, c.warmupRatio, this.totalSteps);
    this.schedule = { type: c.lrSchedulerType, learningRate: c.learningRate, warmupSteps, totalSteps: this.totalSteps };
    this.optimizer = new AdamW(this.variables, { beta1: c.adamBeta1, beta2: c.adamBeta2, epsilon: c.adamEpsilon, weightDecay: c.weightDecay });
  }

  /** Optimizer steps done so far. */
  get globalStep(): number {
    return this.globalStepValue;
  }

  /** Runs the remaining optimizer steps (from the resumed position, if any); `stopAfterStep` ends early with a checkpoint. */
  async train(options: { stopAfterStep?: number } = {}): Promise<SFTTrainResult> {
    const c = this.config;
    const tracker = this.options.tracker;
    if (!this.outputDirReady) await prepareOutputDir(c.outputDir, { resuming: false, overwrite: c.overwriteOutputDir, logger: this.logger });
    this.outputDirReady = true;
    await mkdir(c.outputDir, { recursive: true });
    await tracker?.init({ name: c.runName ?? c.outputDir, config: { ...this.options.runConfig, ...c }, totalSteps: this.totalSteps, startStep: this.globalStepValue });
    let lastCheckpoint: string | null = null;
    const stopAt = Math.min(this.totalSteps, options.stopAfterStep ?? this.totalSteps);
    while (this.globalStepValue < stopAt) {
      const metrics = this.step();
      const step = this.globalStepValue;
      this.window.add(metrics);
      tracker?.progress?.(step);
      await this.options.onStep?.(step, metrics);
      if (step % c.loggingSteps === 0 || step === this.totalSteps) await this.log(this.window.flush(), step);
      if (c.maxConsecutiveSkippedSteps > 0 && this.consecutiveSkipped >= c.maxConsecutiveSkippedSteps) {
        await tracker?.finish();
        throw new TrainingDivergedError(`Training diverged: ${this.consecutiveSkipped} optimizer steps in a row, up to step ${step}, had a NaN/Inf loss or gradient or an update that made a weight NaN/Inf; lower learningRate or clip gradients (maxGradNorm > 0).`);
      }
      if (this.evalRows.length > 0 && ((c.evalSteps > 0 && step % c.evalSteps === 0) || step === this.totalSteps)) await this.log(this.evaluate(), step);
      if (c.saveSteps > 0 && step % c.saveSteps === 0) lastCheckpoint = await this.saveCheckpoint();
    }
    const step = this.globalStepValue;
    if (lastCheckpoint === null || !lastCheckpoint.endsWith(`checkpoint-${step}`)) lastCheckpoint = await this.saveCheckpoint();
    if (step >= this.totalSteps) await this.options.model.save(c.outputDir);
    await tracker?.summary({ globalStep: step, skippedSteps: this.skippedSteps, ...(this.logHistory.filter((e) => 'eval_loss' in e).at(-1) ?? {}) });
    await tracker?.finish();
    return { globalStep: step, totalSteps: this.totalSteps, logHistory: [...this.logHistory], lastCheckpoint };
  }

  /** One optimizer step; returns its metrics. */
  private step(): Metrics {
    const c = this.config;
    const s = this.globalStepValue;
    const started = performance.now();
    const rows = this.data.batch(s).rows.map((i) => this.trainRows[i]);
    const micro = Array.from({ length: c.gradientAccumulationSteps }, (_, m) => rows.slice(m * c.perDeviceTrainBatchSize, (m + 1) * c.perDeviceTrainBatchSize));
    const stepTokens = rows.reduce((n, r) => n + r.completionMask.reduce((a, b) => a + b, 0), 0);
    const accumulator = new GradientAccumulator();
    const stats: SFTBatchStats[] = [];
    const metrics: Metrics = {};
    try {
      micro.forEach((part, m) => {
        stats.push(accumulateSFTMicroBatch(this.options.model, this.variables, part, Math.max(1, stepTokens), accumulator, { seed: deriveSeed(c.seed, 'dropout', s, m), chunkSize: c.logprobChunkSize }));
      });
      const sum = sumStats(stats);
      metrics.loss = sum.tokens > 0 ? sum.nll / sum.tokens : 0;
      metrics.entropy = sum.tokens > 0 ? sum.entropy / sum.tokens : 0;
      // The mean over this step's micro-batches; every step has gradientAccumulationSteps of them, so
      // the window's mean of steps is TRL's mean over every micro-batch since the last log.
      const accuracy = meanTokenAccuracy(stats);
      if (accuracy !== null) metrics.mean_token_accuracy = accuracy;
      const grads = accumulator.value;
      if (grads) {
        metrics.grad_norm = globalNorm(grads);
        let bad: string | null = `loss ${metrics.loss}, grad_norm ${metrics.grad_norm} (NaN/Inf); no update applied`;
        if (Number.isFinite(metrics.loss) && Number.isFinite(metrics.grad_norm)) {
          const clipped = clipByGlobalNorm(grads, metrics.grad_norm, c.maxGradNorm);
          try {
            bad = this.optimizer.stepOrRollBack(clipped, learningRateAt(s, this.schedule));
          } finally {
            clipped.forEach((g) => g.dispose());
          }
        }
        this.consecutiveSkipped = bad === null ? 0 : this.consecutiveSkipped + 1;
        if (bad !== null) {
          this.skippedSteps++;
          this.logger.warn(`grpojs: sft step ${s + 1} skipped: ${bad}.`);
        }
      }
    } finally {
      accumulator.dispose();
    }
    this.numTokens += rows.reduce((n, r) => n + r.promptIds.length + r.completionIds.length, 0);
    this.globalStepValue = s + 1;
    return {
      ...metrics,
      learning_rate: learningRateAt(s + 1, this.schedule),
      epoch: this.globalStepValue / this.data.batchesPerEpoch,
      num_tokens: this.numTokens,
      step_time: (performance.now() - started) / 1000,
    };
  }

  /**
   * The mean loss and entropy over every trained token of evalDataset (`eval_loss`, `eval_entropy`)
   * and TRL's `eval_mean_token_accuracy` (the mean of each eval batch's accuracy).
   */
  evaluate(): Metrics {
    if (this.evalRows.length === 0) throw new GRPOTrainerError('evaluate() needs an evalDataset.');
    const started = performance.now();
    const batches = sftLossSums(this.options.model, this.evalRows, this.config.perDeviceEvalBatchSize, this.config.logprobChunkSize);
    const sum = sumStats(batches);
    const accuracy = meanTokenAccuracy(batches);
    return {
      eval_loss: sum.tokens > 0 ? sum.nll / sum.tokens : 0,
      eval_entropy: sum.tokens > 0 ? sum.entropy / sum.tokens : 0,
      ...(accuracy !== null ? { eval_mean_token_accuracy: accuracy } : {}),
      eval_num_tokens: sum.tokens,
      eval_runtime: (performance.now() - started) / 1000,
    };
  }

  private async log(metrics: Metrics, step: number): Promise<void> {
    this.logHistory.push({ ...metrics, step });
    await this.options.tracker?.log(metrics, step);
  }

  /** Writes checkpoint-<globalStep> (atomic) and applies saveTotalLimit; returns its path. */
  async saveCheckpoint(): Promise<string> {
    const c = this.config;
    const bad = this.optimizer.findBadState();
    if (bad !== null) throw new CheckpointError(`Refusing to write checkpoint-${this.globalStepValue} to ${c.outputDir}: ${bad}; nothing was written.`);
    const pos = this.data.batch(this.globalStepValue);
    const state: TrainerState<SFTConfig> = {
      version: 1,
      globalStep: this.globalStepValue,
      totalSteps: this.totalSteps,
      epoch: this.globalStepValue / this.data.batchesPerEpoch,
      numTokens: this.numTokens,
      skippedSteps: this.skippedSteps,
      dataPosition: { generationBatchIndex: this.globalStepValue, epoch: pos.epoch, batchInEpoch: pos.batchInEpoch },
      logWindow: this.window.snapshot(),
      logHistory: this.logHistory,
      rewardNames: [],
      baseEval: null,
      config: c,
      identity: this.identity,
    };
    const path = await saveCheckpoint(c.outputDir, this.options.model, {
      state,
      scheduler: { ...this.schedule, lastLearningRate: learningRateAt(Math.max(0, this.globalStepValue - 1), this.schedule) },
      rng: { seed: c.seed, scheme: RNG_SCHEME },
      variables: this.variables.map((v) => ({ name: v.name, shape: [...v.shape], data: v.dataSync() as Float32Array })),
      optimizer: this.optimizer.state(),
      generationBatch: null,
    });
    await rotateCheckpoints(c.outputDir, c.saveTotalLimit);
    return path;
  }

  /** Restores a checkpoint ('latest' or a checkpoint-<step> folder); train() then continues exactly where it stopped. */
  async resume(checkpoint: string | 'latest'): Promise<void> {
    await prepareOutputDir(this.config.outputDir, { resuming: true, overwrite: false, logger: this.logger });
    const { dir, contents } = await loadResumePoint(checkpoint, this.config.outputDir, this.variables);
    checkSameRun(dir, contents.state, { config: this.config, identity: this.identity, rewardNames: [], mayChange: [] }, this.logger);
    this.optimizer.loadState(contents.optimizer);
    tf.tidy(() => contents.variables.forEach((v, i) => this.variables[i].assign(tf.tensor(v.data, v.shape, 'float32'))));
    this.globalStepValue = contents.state.globalStep;
    this.numTokens = contents.state.numTokens;
    this.skippedSteps = contents.state.skippedSteps;
    this.logHistory = contents.state.logHistory;
    this.window.restore(contents.state.logWindow);
    this.outputDirReady = true;
  }

  /** Frees the optimizer state (the model stays the caller's). */
  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Token-weighted sums of nll, entropy and tokens (`correct` is averaged per batch instead: meanTokenAccuracy). */
function sumStats(stats: readonly SFTBatchStats[]): Omit<SFTBatchStats, 'correct'> {
  return stats.reduce((a, b) => ({ nll: a.nll + b.nll, entropy: a.entropy + b.entropy, tokens: a.tokens + b.tokens }), { nll: 0, entropy: 0, tokens: 0 });
}
