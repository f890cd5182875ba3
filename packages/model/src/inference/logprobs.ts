/**
 * Per-token log-probabilities of given completions under the model (GRPO's policy, old and
 * reference log-probs): logits / temperature → log-softmax → the completion token's entry.
 *
 * Memory: vocab-sized logits exist only for the completion positions of one chunk of rows at a
 * time, and the LM-head + log-softmax is a custom-gradient op that keeps only an [n, C] tensor for
 * its backward pass (see headLogProbs), so the tape never holds a [rows, length, vocab] tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { leftPad } from './generate.js';
import { nativeLogSoftmaxGather } from '../ops/native-vocab.js';
import type { CausalTransformer } from '../transformer.js';
import type { TokenLogProbsOptions, TokenLogProbsOutput } from '../types.js';

/** Thrown for invalid tokenLogProbs() arguments. */
export class LogProbsError extends Error {
  override name = 'LogProbsError';
}

/** Vocab-sized floats per chunk when `chunkSize` is not given (128 MiB of logits). */
const AUTO_CHUNK_FLOATS = 2 ** 25;

/**
 * h [n, C] → log p(target) [n] under softmax(h·headᵀ / temperature), or with extra columns
 * [n, 1 + k]: log p in column 0, then (withEntropy) the entropy, then (withArgmaxMatch) 1 where the
 * argmax of the untempered logits, first maximal index as torch.argmax, is the target, else 0.
 * Gradient flows to h only, through column 0; the entropy column is a metric and is not
 * differentiated unless `entropyGrad` (an entropy bonus in the loss); the match column never is.
 * The argmax is a reduction of the logits the head already made, so it adds no vocab-sized
 * tensor. The caller owns the result.
 *
 * d log p / d h = (onehot(target) − p)·head / temperature does not depend on the upstream
 * gradient, so when a gradient tape is recording this Jacobian row G [n, C] is computed in the
 * forward pass, where the softmax already exists, and kept instead of any [n, vocab] tensor; the
 * backward is then just G · dy. Without a tape (reference/old log-probs) G is skipped. With
 * @grpojs/accel active the vocab-sized part (log-softmax, gather, entropy, onehot − p) is one
 * native kernel (native-vocab.ts); otherwise tfjs ops.
 *
 * With `entropyGrad` the entropy's Jacobian row is kept the same way: with z = logits / T and
 * H = −Σ p log p, dH/dz = −p ⊙ (log p + H), so G_H = (−p ⊙ (log p + H))·head / T [n, C] and the
 * backward is G · dy₀ + G_H · dy₁. The native kernel returns no softmax, so with it log p is rebuilt
 * from the logits and the kernel's log p(target): log p = z − (z_target − log p(target)).
 */
export function headLogProbs(
  h: tf.Tensor2D,
  targets: tf.Tensor1D,
  model: CausalTransformer,
  temperature: number,
  withEntropy: boolean,
  entropyGrad = false,
  withArgmaxMatch = false,
): tf.Tensor {
  const V = model.dims.vocabSize;
  const columns = 1 + (withEntropy ? 1 : 0) + (withArgmaxMatch ? 1 : 0);
  const taping = (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
  const entropyTaped = withEntropy && entropyGrad && taping;
  /** G_H [n, C] from log p [n, V] and H [n]. */
  const entropyRow = (logProbs: tf.Tensor2D, entropy: tf.Tensor1D): tf.Tensor2D => {
    const dHdz = tf.neg(tf.mul(tf.exp(logProbs), tf.add(logProbs, tf.expandDims(entropy, 1)))) as tf.Tensor2D;
    return tf.div(model.lmHead.timesWeight(dHdz), temperature) as tf.Tensor2D;
  };
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const value = tf.tidy(() => {
      const raw = model.lmHead.logits(x); // [n, V]
      const n = x.shape[0];
      const targetIndex = (): tf.Tensor1D => tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(V, 'int32')), targets); // into [n·V]
      // [n] 1 where argmax(logits) = target; tfjs' argMax keeps the first maximal index, as torch does.
      const argmaxMatch = (): tf.Tensor1D => tf.cast(tf.equal(tf.argMax(raw, -1), targets), 'float32') as tf.Tensor1D;
      const stack = (logp: tf.Tensor1D, entropy: tf.Tensor1D | null): tf.Tensor => {
        if (columns === 1) return logp;
        return tf.stack([logp, ...(entropy ? [entropy] : []), ...(withArgmaxMatch ? [argmaxMatch()] : [])], 1); // [n, columns]
      };
      const native = nativeLogSoftmaxGather(raw, targets, temperature, withEntropy, taping);
      if (native !== null) {
        if (native.grad) {
          const G = model.lmHead.timesWeight(native.grad); // [n, C]
          if (entropyTaped) {
            const z = tf.div(raw, temperature); // [n, V]
            const lse = tf.sub(tf.gather(tf.reshape(z, [-1]), targetIndex()), native.logp); // [n]
            save([G, entropyRow(tf.sub(z, tf.expandDims(lse, 1)), native.entropy as tf.Tensor1D)]);
          } else {
            save([G]);
          }
        }
        return stack(native.logp, native.entropy ?? null);
      }
      const logits = tf.div(raw, temperature); // [n, V]
      const lse = tf.logSumExp(logits, -1, true); // [n, 1]
      const logp = tf.sub(tf.gather(tf.reshape(logits, [-1]), targetIndex()), tf.reshape(lse, [-1])); // [n]
      const p = withEntropy || taping ? tf.exp(tf.sub(logits, lse)) : null; // [n, V]
      const entropy = withEntropy ? tf.sub(tf.reshape(lse, [-1]), tf.sum(tf.mul(p as tf.Tensor2D, logits), -1)) : null; // [n]
      if (taping) {
        // oneHot's float32 output is all zeros on wasm 4.22; int32 then cast is correct everywhere.
        const oneHot = tf.cast(tf.oneHot(targets, V), 'float32');
        const G = tf.div(model.lmHead.timesWeight(tf.sub(oneHot, p as tf.Tensor2D)), temperature); // [n, C]
        if (entropyTaped) {
          save([G, entropyRow(tf.sub(logits, lse), entropy as tf.Tensor1D)]); // G, G_H [n, C]
        } else {
          save([G]);
        }
      }
      return stack(logp as tf.Tensor1D, entropy as tf.Tensor1D | null);
    });
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const d = dy as tf.Tensor;
          const g = columns > 1 ? tf.slice(d, [0, 0], [-1, 1]) : tf.expandDims(d, 1); // [n, 1]
          if (!entropyTaped) return tf.mul(saved[0], g); // [n, C]
          return tf.add(tf.mul(saved[0], g), tf.mul(saved[1], tf.slice(d, [0, 1], [-1, 1])));
        }),
    };
  });
  return op(h);
}

function validate(promptIds: number[][], completionIds: number[][], o: TokenLogProbsOptions, vocabSize: number): void {
  const where = 'tokenLogProbs';
  if (!Array.isArray(promptIds) || promptIds.length === 0) throw new LogProbsError(`${where}: promptIds must hold at least one row.`);
  if (!Array.isArray(completionIds) || completionIds.length !== promptIds.length) {
    throw new LogProbsError(`${where}: completionIds has ${completionIds?.length} rows, promptIds has ${promptIds.length}; they must match.`);
  }
  promptIds.forEach((r, b) => {
    if (r.length === 0) throw new LogProbsError(`${where}: promptIds row ${b} is empty; every prompt needs ≥ 1 token.`);
  });
  const check = (rows: number[][], what: string): void =>
    rows.forEach((r, b) =>
      r.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
          throw new LogProbsError(`${where}: ${what} row ${b} position ${t} holds ${id}, outside the vocabulary [0, ${vocabSize}).`);
        }
      }),
    );
  check(promptIds, 'promptIds');
  check(completionIds, 'completionIds');
  const t = o.temperature ?? 1;
  if (!(t > 0)) throw new LogProbsError(`${where}: temperature must be > 0, got ${t}.`);
  if (o.chunkSize !== undefined && !(Number.isInteger(o.chunkSize) && o.chunkSize >= 1)) {
    throw new LogProbsError(`${where}: chunkSize must be an integer ≥ 1, got ${o.chunkSize}.`);
  }
}

/**
 * Log-probs [rows, L] of each completion token given its prompt and the completion prefix,
 * L = longest completion. Prompts are left-padded and completions right-padded (pad = eos);
 * positions are cumsum(mask) − 1, as during generation. Differentiable w.r.t. the model's
 * trainable variables. The caller disposes every returned tensor.
 */
export function tokenLogProbs(
  model: CausalTransformer,
  promptIds: number[][],
  completionIds: number[][],
  options: TokenLogProbsOptions = {},
): TokenLogProbsOutput {
  validate(promptIds, completionIds, options, model.dims.vocabSize);
  const B = promptIds.length;
  const L = Math.max(...completionIds.map((c) => c.length));
  const pad = model.dims.padTokenId ?? model.dims.eosTokenIds[0] ?? 0;
  const temperature = options.temperature ?? 1;
  const withEntropy = options.withEntropy ?? false;
  const withArgmaxMatch = options.withArgmaxMatch ?? false;
  const P = Math.max(...promptIds.map((r) => r.length));
  if (P + L > model.dims.maxPositions) {
    throw new LogProbsError(`tokenLogProbs: prompt ${P} + completion ${L} tokens exceed ${model.dims.maxPositionsField} ${model.dims.maxPositions}.`);
  }
  const maskRows = completionIds.map((c) => [...new Array<number>(c.length).fill(1), ...new Array<number>(L - c.length).fill(0)]);
  const mask = tf.tensor2d(maskRows.flat(), [B, L], 'float32');
  if (L === 0) {
    return {
      logProbs: tf.zeros([B, 0]),
      mask,
      ...(withEntropy ? { entropy: tf.zeros([B, 0]) as tf.Tensor2D } : {}),
      ...(withArgmaxMatch ? { argmaxMatch: tf.zeros([B, 0]) as tf.Tensor2D } : {}),
    };
  }
  const rowsPerChunk = options.chunkSize ?? Math.max(1, Math.floor(AUTO_CHUNK_FLOATS / (L * model.dims.vocabSize)));
  const result = tf.tidy(() => {
    const { ids, mask: promptMask } = leftPad(promptIds, pad);
    const parts: tf.Tensor[] = [];
    for (let start = 0; start < B; start += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, B - start);
      const chunkIds: number[][] = [];
      const chunkMask: number[][] = [];
      const targets: number[] = [];
      for (let b = start; b < start + rows; b++) {
        const c = completionIds[b];
        const padded = [...c, ...new Array<number>(L - c.length).fill(pad)];
        chunkIds.push([...ids[b], ...padded]);
        chunkMask.push([...promptMask[b], ...maskRows[b]]);
        targets.push(...padded);
      }
      const { hidden } = model.forward(chunkIds, { attentionMask: chunkMask, logits: 'none', training: options.training ?? false });
      // Hidden state at position t predicts token t + 1: positions P−1 … P+L−2 predict the completion.
      const h: tf.Tensor2D = tf.reshape(tf.slice(hidden, [0, P - 1, 0], [rows, L, -1]), [rows * L, model.dims.hiddenSize]);
      parts.push(headLogProbs(h, tf.tensor1d(targets, 'int32'), model, temperature, withEntropy, options.entropyGrad ?? false, withArgmaxMatch));
    }
    const all = parts.length === 1 ? parts[0] : tf.concat(parts, 0); // [B·L] or [B·L, columns]
    const column = (i: number): tf.Tensor2D =>
      tf.mul(tf.reshape(all.rank === 2 ? tf.slice(all, [0, i], [-1, 1]) : all, [B, L]), mask) as tf.Tensor2D;
    return {
      logProbs: column(0),
      ...(withEntropy ? { entropy: column(1) } : {}),
      ...(withArgmaxMatch ? { argmaxMatch: column(withEntropy ? 2 : 1) } : {}),
    };
  });
  return { ...result, mask } as TokenLogProbsOutput;
}
