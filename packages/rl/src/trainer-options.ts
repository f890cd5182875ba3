/**
 * The GRPOTrainer's inputs and outputs (constructor options, train() options and result) and the
 * validation of what the constructor is given, kept apart from the training loop.
 */
import type { RewardFunction } from '@grpojs/rewards';
import type { Metrics, Tracker } from '@grpojs/tracking';
import type { GRPOConfigInput } from './config.js';
import { GRPOTrainerError } from './errors.js';
import type { AccuracyCheck, EvalReport } from './evaluate.js';
import type { PolicyModel } from './policy-model.js';
import type { RolloutBackend } from './rollout/backend.js';
import type { DatasetRow, TrainerTokenizer } from './types.js';

/** Everything a GRPOTrainer is built from. */
export interface GRPOTrainerOptions {
  /** The policy; only its trainableVariables() (the LoRA weights) are updated. */
  model: PolicyModel;
  tokenizer: TrainerTokenizer;
  /** Scored on every completion; totals are weighted by config.rewardWeights. */
  rewardFunctions: readonly RewardFunction[];
  trainDataset: readonly DatasetRow[];
  /** Rows with `prompt` and whatever columns `isCorrect` reads; evaluation is skipped without it. */
  evalDataset?: readonly DatasetRow[];
  /**
   * How evaluation decides that a completion answers its row (`eval_accuracy`), e.g. grpojs'
   * gsm8kExactMatch. Default null: evaluation reports rewards and lengths but no accuracy.
   */
  isCorrect?: AccuracyCheck | null;
  config?: GRPOConfigInput;
  tracker?: Tracker;
  /**
   * More entries for the tracker's run config (config.json of the run directory, W&B config), e.g.
   * the job's model, adapter targets and prompt format; the trainer's own fields win on a clash.
   */
  runConfig?: Readonly<Record<string, unknown>>;
  /**
   * runConfig fields that may differ when a checkpoint is resumed (e.g. where numbers are reported);
   * every other runConfig field must equal the checkpoint's, as must the trainer config outside
   * RESUMABLE_CONFIG_FIELDS and the training rows.
   */
  mayChangeOnResume?: readonly string[];
  /**
   * What identifies the base model (e.g. { source, revision, configSha256 }), recorded in every
   * checkpoint; a resume with a different one is refused. Default: not recorded.
   */
  modelIdentity?: Readonly<Record<string, unknown>>;
  /** Called after every optimizer step with that step's own (not averaged) metrics. */
  onStep?: (step: number, metrics: Metrics) => void | Promise<void>;
  /**
   * Where completions are sampled; default: what config.rolloutKind names (the model itself, or
   * the servers at rolloutUrls). The trainer closes it at the end of train().
   */
  rollout?: RolloutBackend;
  /** Where warnings go (NaN steps, config mismatches on resume). Default console. */
  logger?: Pick<Console, 'warn' | 'info'>;
}

/** Options of one train() call. */
export interface TrainOptions {
  /** Stop after this many total steps (a checkpoint is saved there): a planned pre-emption. */
  stopAfterStep?: number;
  /**
   * Stop soon when aborted: the step under way is abandoned at the next decode step or micro-batch
   * (never after its update started, so no partial update), and a checkpoint of the last completed
   * step is saved (`lastCheckpoint`). Before the optimizer update only. A periodic evaluation under
   * way is dropped (not logged, not rerun on resume); the final evaluation and a save finish first.
   */
  signal?: AbortSignal;
}

/** What train() returns. */
export interface TrainResult {
  /** Steps done in total (including before a resume). */
  globalStep: number;
  totalSteps: number;
  /** False when stopped early by stopAfterStep or the signal. */
  completed: boolean;
  /** Per-step metrics of the steps run by this call. */
  stepMetrics: (Metrics & { step: number })[];
  /** Averaged log entries (every loggingSteps) of the whole run. */
  logHistory: (Metrics & { step: number })[];
  evalReports: EvalReport[];
  lastCheckpoint: string | null;
  skippedSteps: number;
}

/** Checks the tokenizer, reward functions, accuracy check and datasets; throws GRPOTrainerError naming the bad one. */
export function validateTrainerOptions(options: GRPOTrainerOptions): void {
  const tok = options.tokenizer as Partial<TrainerTokenizer> | undefined;
  if (!tok || typeof tok.encode !== 'function' || typeof tok.decode !== 'function' || !Number.isInteger(tok.eosTokenId) || !Number.isInteger(tok.padTokenId)) {
    throw new GRPOTrainerError(
      'tokenizer must have encode, decode, eosTokenId and padTokenId; pass model.tokenizer, or loadTokenizer(<folder>) when the model folder has no tokenizer files.',
    );
  }
  if (!options.rewardFunctions?.length || options.rewardFunctions.some((f) => typeof f !== 'function')) {
    throw new GRPOTrainerError('rewardFunctions must be a non-empty array of functions (completions, ctx) => number[].');
  }
  if (options.isCorrect != null && typeof options.isCorrect !== 'function') {
    throw new GRPOTrainerError(`isCorrect must be a function (completion, row) => boolean, or null for no accuracy; got ${typeof options.isCorrect}.`);
  }
  for (const [name, rows] of [['trainDataset', options.trainDataset], ['evalDataset', options.evalDataset]] as const) {
    if (rows === undefined && name === 'evalDataset') continue;
    const bad = (rows ?? []).findIndex((r) => typeof r?.prompt !== 'string');
    if ((name === 'trainDataset' && !rows?.length) || bad >= 0) {
      throw new GRPOTrainerError(`${name} must be a non-empty array of { prompt: string, ... } rows${bad >= 0 ? `; row ${bad} has no string prompt` : ''}.`);
    }
  }
}
