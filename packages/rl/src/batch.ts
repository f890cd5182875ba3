/**
 * One generation batch: the phases that run once per batch before any gradient —
 * generate (one call for the whole batch, seeded by (seed, step)) → score → advantages → old and
 * reference log-probs. Everything is kept on the host (plain arrays), so a batch reused for
 * numIterations > 1 steps can be written into a checkpoint and a resumed run continues exactly.
 */
import type { RewardFunction } from '@grpojs/rewards';
import * as tf from '@tensorflow/tfjs-core';
import { combineRewards, computeAdvantages, normalizeThenSumAdvantages, type AdvantageResult } from './advantages.js';
import { optimizerStepsPerGeneration, resolvedStepsPerGeneration, type GRPOConfig } from './config.js';
import { sampleRollout, type Rollout } from './generation.js';
import type { PolicyModel } from './policy-model.js';
import { deriveSeed } from './rng.js';
import type { RolloutBackend } from './rollout/backend.js';
import { samplingCorrection } from './rollout/is-correction.js';
import { scoreRollout } from './scoring.js';
import type { DatasetRow, TrainerTokenizer } from './types.js';

/** The rows of one micro-batch that enter the loss, with their host-side inputs. */
export interface MicroBatch {
  /** Indices into the generation batch's rows. */
  rows: number[];
  promptIds: number[][];
  completionIds: number[][];
  advantages: number[];
  /** Per row: 1, or 0 when maskTruncatedCompletions drops this truncated row from the loss. */
  keep: number[];
  /** [rows][completion len] old log-probs (numIterations > 1, a generation over several steps, or a server rollout). */
  oldLogProbs: number[][] | null;
  /** [rows][completion len] the server sampler's log-probs of its tokens, kept for offPolicyMaskThreshold (server rollout only). */
  samplerLogProbs?: number[][] | null;
  /** Which of the generation's optimizer steps trains on it (0 … k − 1, k = optimizerStepsPerGeneration); absent counts as 0. */
  slot?: number;
  /** [rows][completion len] reference log-probs (beta ≠ 0 only). */
  refLogProbs: number[][] | null;
  /** [rows][completion len] importance-sampling weights of a server rollout (rollout/is-correction.ts); absent = none. */
  samplingRatios?: number[][] | null;
}

/** Everything one generation batch contributes to the optimizer steps that use it (stepsPerGenerationBatch). */
export interface GenerationBatch {
  /** 0-based index of the batch in the data stream. */
  index: number;
  rollout: Rollout;
  /** [functions][rows], NaN = not applicable. */
  rewardsPerFunction: number[][];
  /** Weighted total reward per row. */
  rewards: number[];
  advantage: AdvantageResult;
  /** Micro-batches that have rows left (zero-variance groups may have been dropped). */
  micro: MicroBatch[];
  /** Σ of the loss mask over the whole batch (dapo's normalizer). */
  activeTokens: number;
  /** Share of groups dropped by dropZeroVarianceGroups. */
  fracGroupsDropped: number;
  /** Seconds spent generating (sampling only). */
  generationSeconds: number;
  /** TRL's sampling/* metrics of the importance-sampling correction (server rollout only). */
  samplingMetrics?: Record<string, number>;
}

/** Everything the batch builder needs besides the config. */
export interface BatchContext {
  model: PolicyModel;
  tokenizer: TrainerTokenizer;
  /** Where completions are sampled (the model itself, or servers). */
  rollout: RolloutBackend;
  rewardFunctions: readonly RewardFunction[];
  rewardNames: readonly string[];
  rewardWeights: readonly number[];
  config: GRPOConfig;
}

/** Host copy of per-token log-probs, rows trimmed to their completion length. */
function logProbRows(model: PolicyModel, micro: MicroBatch, temperature: number, chunkSize: number | null): number[][] {
  const out = model.tokenLogProbs(micro.promptIds, micro.completionIds, { temperature, ...(chunkSize ? { chunkSize } : {}) });
  try {
    const values = out.logProbs.arraySync();
    return micro.completionIds.map((ids, i) => values[i].slice(0, ids.length));
  } finally {
    out.logProbs.dispose();
    out.mask.dispose();
    out.entropy?.dispose();
  }
}

/**
 * Runs generate → score → advantages → old/ref log-probs for generation batch `index` made of
 * `rows` (perDeviceTrainBatchSize prompts per micro-batch, stepsPerGeneration micro-batches, by default gradientAccumulationSteps).
 * With `signal`: an abort rejects it (between decode steps, or before a micro-batch's log-probs).
 */
export async function buildGenerationBatch(
  ctx: BatchContext,
  index: number,
  step: number,
  rows: readonly DatasetRow[],
  signal?: AbortSignal,
): Promise<GenerationBatch> {
  const { config } = ctx;
  const P = config.perDeviceTrainBatchSize;
  const G = config.numGenerations;
  const started = performance.now();
  // The whole generation batch (every micro-batch's prompts, each repeated G times, in micro-batch
  // order) is sampled in one generate call, as TRL does since generation_batch_size: a decode step
  // streams every weight once whatever the number of rows, so one call of 8 rows costs about what
  // one call of 2 rows does.
  const microBatches = resolvedStepsPerGeneration(config);
  const rollout = await sampleRollout(ctx.rollout, ctx.tokenizer, rows.slice(0, P * microBatches), {
    numGenerations: G,
    maxPromptLength: config.maxPromptLength,
    maxCompletionLength: config.maxCompletionLength,
    sampling: {
      temperature: config.temperature,
      topP: config.topP,
      topK: config.topK,
      seed: deriveSeed(config.seed, 'sample', step),
    },
    ...(signal ? { signal } : {}),
  });
  const generationSeconds = (performance.now() - started) / 1000;
  const rewardsPerFunction = await scoreRollout(ctx.rewardFunctions, ctx.rewardNames, rollout);
  const rewards = combineRewards(rewardsPerFunction, ctx.rewardWeights);
  const advantage =
    config.multiObjectiveAggregation === 'normalize_then_sum'
      ? normalizeThenSumAdvantages(rewardsPerFunction, ctx.rewardWeights, rewards, G)
      : computeAdvantages(rewards, G, config.scaleRewards);

  const micro: MicroBatch[] = [];
  let groups = 0;
  let dropped = 0;
  const rowsPerMicro = P * G;
  for (let m = 0; m < microBatches; m++) {
    const kept: number[] = [];
    for (let g = m * rowsPerMicro; g < (m + 1) * rowsPerMicro; g += G) {
      groups++;
      if (config.dropZeroVarianceGroups && advantage.zeroStd[g]) {
        dropped++;
        continue;
      }
      for (let j = 0; j < G; j++) kept.push(g + j);
    }
    if (kept.length === 0) continue;
    micro.push({
      rows: kept,
      promptIds: kept.map((i) => rollout.promptIds[i]),
      completionIds: kept.map((i) => rollout.completionIds[i]),
      advantages: kept.map((i) => advantage.advantages[i]),
      keep: kept.map((i) => (config.maskTruncatedCompletions && !rollout.terminated[i] ? 0 : 1)),
      oldLogProbs: null,
      refLogProbs: null,
      slot: Math.floor(m / config.gradientAccumulationSteps),
    });
  }
  // A server sampled: the trainer's own log-probs of its tokens at generation time are the "old"
  // ones of the ratio and the numerator of the importance-sampling weight (as TRL with vLLM).
  const samplerLogProbs = config.vllmImportanceSamplingCorrection ? rollout.samplerLogProbs : undefined;
  for (const mb of micro) {
    await stopIfAborted(signal);
    // TRL measures the off-policy drift against the sampler's log-probs when a server sampled.
    if (config.offPolicyMaskThreshold !== null && rollout.samplerLogProbs) mb.samplerLogProbs = mb.rows.map((i) => rollout.samplerLogProbs![i]);
    if (config.numIterations > 1 || optimizerStepsPerGeneration(config) > 1 || samplerLogProbs) mb.oldLogProbs = logProbRows(ctx.model, mb, config.temperature, config.logprobChunkSize);
    if (config.beta !== 0) {
      mb.refLogProbs = ctx.model.withAdaptersDisabled(() =>
        logProbRows(ctx.model, mb, config.temperature, config.logprobChunkSize),
      );
    }
  }
  let samplingMetrics: Record<string, number> | undefined;
  if (samplerLogProbs) {
    const rowsOf = micro.flatMap((mb) => mb.rows.map((row, i) => ({ mb, row, i })));
    const correction = samplingCorrection(
      rowsOf.map(({ mb, i }) => (mb.oldLogProbs as number[][])[i]),
      rowsOf.map(({ row }) => samplerLogProbs[row]),
      rowsOf.map(({ mb, i }) => mb.completionIds[i].map(() => mb.keep[i])),
      config.vllmImportanceSamplingMode,
      { min: config.vllmImportanceSamplingClipMin, max: config.vllmImportanceSamplingClipMax },
    );
    let k = 0;
    for (const mb of micro) mb.samplingRatios = mb.rows.map(() => correction.ratios[k++]);
    samplingMetrics = correction.metrics;
  }
  const activeTokens = micro.reduce(
    (sum, mb) => sum + mb.completionIds.reduce((s, ids, i) => s + ids.length * mb.keep[i], 0),
    0,
  );
  return {
    index,
    rollout,
    rewardsPerFunction,
    rewards,
    advantage,
    micro,
    activeTokens,
    fracGroupsDropped: groups === 0 ? 0 : dropped / groups,
    generationSeconds,
    ...(samplingMetrics ? { samplingMetrics } : {}),
  };
}

/**
 * Lets pending macrotasks (a signal handler) run, then throws the signal's reason if it is
 * aborted: the trainer's phases are synchronous between awaits, so without the yield an abort
 * would be seen only after the whole step.
 */
export async function stopIfAborted(signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  signal.throwIfAborted();
}

/** [rows, T] tensor from ragged host rows, zero-padded on the right (caller disposes). */
export function paddedTensor(rows: readonly number[][], T: number): tf.Tensor2D {
  const data = new Float32Array(rows.length * T);
  rows.forEach((row, i) => data.set(row.slice(0, T), i * T));
  return tf.tensor2d(data, [rows.length, T]);
}
