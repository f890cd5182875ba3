/**
 * The SFT loss: token-level cross-entropy of the trained tokens, normalized over the whole optimizer
 * step (as transformers does with gradient accumulation, `num_items_in_batch`): each micro-batch
 * adds −Σ log p(token) / N_step, N_step = trained tokens in all its micro-batches, so the step's
 * loss is the mean over its tokens whatever the micro-batch split. Log-probs come through the
 * PolicyModel port (temperature 1), so any model the GRPO trainer trains is trained here too.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GRPOTrainerError } from '../errors.js';
import type { GradientAccumulator } from '../gradients.js';
import type { PolicyModel } from '../policy-model.js';
import type { PromptCompletion } from './dataset.js';

/** The model members SFT uses. */
export type SFTModel = Pick<PolicyModel, 'tokenLogProbs' | 'trainableVariables' | 'save'>;

/** Sums over one micro-batch's trained tokens. */
export interface SFTBatchStats {
  /** −Σ log p over trained tokens. */
  nll: number;
  /** Σ entropy of the predicted distribution over trained tokens (TRL's `entropy` metric). */
  entropy: number;
  /** Trained tokens. */
  tokens: number;
  /** Trained tokens where the model's argmax is the token; null when the model returned no argmaxMatch. */
  correct: number | null;
}

/** Trained tokens of some rows. */
export function trainedTokens(rows: readonly PromptCompletion[]): number {
  return rows.reduce((s, r) => s + r.completionMask.reduce((a, b) => a + b, 0), 0);
}

/** [rows, T] the rows' completion masks, zero-padded to T. */
function maskTensor(rows: readonly PromptCompletion[], T: number): tf.Tensor2D {
  const data = new Float32Array(rows.length * T);
  rows.forEach((r, i) => r.completionMask.forEach((m, t) => t < T && (data[i * T + t] = m)));
  return tf.tensor2d(data, [rows.length, T]);
}

/** Log-probs, entropy and argmax matches of the rows' completions; the caller disposes. */
function forward(model: SFTModel, rows: readonly PromptCompletion[], training: boolean, seed: number | undefined, chunkSize: number | null) {
  const out = model.tokenLogProbs(
    rows.map((r) => r.promptIds),
    rows.map((r) => r.completionIds),
    { withEntropy: true, withArgmaxMatch: true, training, ...(seed !== undefined ? { seed } : {}), ...(chunkSize ? { chunkSize } : {}) },
  );
  const longest = Math.max(...rows.map((r) => r.completionIds.length));
  const [n, T] = out.logProbs.shape;
  if (n !== rows.length || T < longest) {
    tf.dispose([out.logProbs, out.mask, out.entropy ?? [], out.argmaxMatch ?? []]);
    throw new GRPOTrainerError(`model.tokenLogProbs returned logProbs of shape [${out.logProbs.shape}] for ${rows.length} rows of up to ${longest} completion tokens; expected [${rows.length}, >= ${longest}].`);
  }
  return out;
}

/**
 * Adds the gradients of this micro-batch's share of the step loss (−Σ log p / stepTokens) to
 * `accumulator`; returns its sums. Rows without trained tokens contribute nothing; a micro-batch
 * with none is skipped (no forward). Every tensor it makes is freed.
 */
export function accumulateSFTMicroBatch(
  model: SFTModel,
  variables: readonly tf.Variable[],
  rows: readonly PromptCompletion[],
  stepTokens: number,
  accumulator: GradientAccumulator,
  options: { seed: number; chunkSize: number | null },
): SFTBatchStats {
  rows = rows.filter((r) => r.completionMask.includes(1));
  const tokens = trainedTokens(rows);
  if (tokens === 0) return { nll: 0, entropy: 0, tokens: 0, correct: 0 };
  let sums: tf.Tensor[] = [];
  let hasMatch = false;
  const { value, grads } = tf.variableGrads(() => {
    const out = forward(model, rows, true, options.seed, options.chunkSize);
    const mask = maskTensor(rows, out.logProbs.shape[1]);
    const nll = tf.neg(tf.sum(tf.mul(out.logProbs, mask)));
    hasMatch = out.argmaxMatch !== undefined;
    sums = maskedSums(out, mask, nll).map((t) => tf.keep(t));
    return tf.div(nll, stepTokens) as tf.Scalar;
  }, variables as tf.Variable[]);
  try {
    accumulator.add(
      variables.map((v) => {
        const g = grads[v.name];
        if (!g) throw new GRPOTrainerError(`No gradient reached trainable variable "${v.name}"; model.trainableVariables() must return variables used by tokenLogProbs.`);
        return g;
      }),
    );
    const [nll, entropy, correct] = sums.map((t) => t.dataSync()[0]);
    return { nll, entropy, tokens, correct: hasMatch ? correct : null };
  } finally {
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    sums.forEach((t) => t.dispose());
  }
}

/** [−Σ log p, Σ entropy, Σ argmax match] over the masked tokens (0 for what the model did not return). */
function maskedSums(out: { entropy?: tf.Tensor2D; argmaxMatch?: tf.Tensor2D }, mask: tf.Tensor2D, nll: tf.Tensor): tf.Tensor[] {
  return [nll, out.entropy ? tf.sum(tf.mul(out.entropy, mask)) : tf.scalar(0), out.argmaxMatch ? tf.sum(tf.mul(out.argmaxMatch, mask)) : tf.scalar(0)];
}

/**
 * TRL SFTTrainer's `mean_token_accuracy` over some micro-batches (training) or eval batches: each
 * batch's correct / trained tokens (0 for a batch without trained tokens, as TRL appends), then
 * the plain mean over batches, as TRL's log averages the values appended since the last log.
 * Null when the model returned no argmaxMatch.
 */
export function meanTokenAccuracy(batches: readonly SFTBatchStats[]): number | null {
  if (batches.length === 0 || batches.some((b) => b.correct === null)) return null;
  return batches.reduce((s, b) => s + (b.tokens > 0 ? (b.correct as number) / b.tokens : 0), 0) / batches.length;
}

/** The same sums without gradients (evaluation), `batchSize` rows per forward, one entry per batch. */
export function sftLossSums(model: SFTModel, rows: readonly PromptCompletion[], batchSize: number, chunkSize: number | null): SFTBatchStats[] {
  const batches: SFTBatchStats[] = [];
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize).filter((r) => r.completionMask.includes(1));
    const tokens = trainedTokens(batch);
    if (tokens === 0) {
      batches.push({ nll: 0, entropy: 0, tokens: 0, correct: 0 });
      continue;
    }
    let hasMatch = false;
    const [nll, entropy, correct] = tf.tidy(() => {
      const out = forward(model, batch, false, undefined, chunkSize);
      hasMatch = out.argmaxMatch !== undefined;
      const mask = maskTensor(batch, out.logProbs.shape[1]);
      return maskedSums(out, mask, tf.neg(tf.sum(tf.mul(out.logProbs, mask))));
    }).map((t) => {
      const x = t.dataSync()[0];
      t.dispose();
      return x;
    });
    batches.push({ nll, entropy, tokens, correct: hasMatch ? correct : null });
  }
  return batches;
}
