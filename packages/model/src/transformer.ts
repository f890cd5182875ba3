/**
 * What every architecture's decoder-only transformer offers the shared parts (generation, token
 * log-probs, LoRA wiring, quantization, saving): a forward pass with attention mask, positions
 * and KV cache, the LM head, and its projections by module path. GPT-2 (gpt2.ts) and the Llama
 * family (architectures/llama) implement it; nothing outside an architecture's folder needs to
 * know which one it holds.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KVCache } from './inference/kv-cache.js';
import type { LMHead } from './ops/lm-head.js';
import type { Conv1DLayer } from './ops/linear.js';
import type { HostTensor } from './io/safetensors.js';
import { attentionBias } from './ops/attention.js';

/** The supported architectures, by config family. */
export type ArchitectureName = 'gpt2' | 'llama' | 'qwen2' | 'qwen3';

/** Sizes and special ids the shared code reads from any architecture. */
export interface TransformerDims {
  vocabSize: number;
  /** Longest sequence (prompt + completion) the model takes. */
  maxPositions: number;
  /** The config.json field that sets it (`n_positions`, `max_position_embeddings`), named in errors. */
  maxPositionsField: string;
  /** Width of the final hidden state (the LM head's input). */
  hiddenSize: number;
  numLayers: number;
  /** Generation stops at any of these (generation_config.json's list when given). */
  eosTokenIds: number[];
  /** null when the model has none (GPT-2, Llama 3): callers pad with the first EOS. */
  padTokenId: number | null;
}

/** Options of {@link CausalTransformer.forward}. */
export interface ForwardOptions {
  /** [batch, past + T], 1 = real token, 0 = padding. Default all ones. */
  attentionMask?: tf.Tensor2D | number[][];
  /** [batch, T]. Default cumsum(mask) − 1 clamped at 0 (as HF generate), i.e. padding-invariant. */
  positionIds?: tf.Tensor2D | number[][];
  /** Cache to read the past from and write this step into (see {@link CausalTransformer.createCache}). */
  pastKeyValues?: KVCache;
  /** Which logits to compute: all positions, only the last (decoding), or none. Default 'all'. */
  logits?: 'all' | 'last' | 'none';
  /** Training mode (LoRA dropout). Default false. */
  training?: boolean;
}

/** Result of {@link CausalTransformer.forward}; the caller disposes the tensors. */
export interface ForwardOutput {
  /** [batch, T, vocab] ('all') or [batch, 1, vocab] ('last'). */
  logits?: tf.Tensor3D;
  /** [batch, T, hidden] after the final norm. */
  hidden: tf.Tensor3D;
  /** The cache passed in, now holding this step too. */
  pastKeyValues?: KVCache;
}

export interface CausalTransformer {
  readonly architecture: ArchitectureName;
  readonly dims: TransformerDims;
  /** Recompute each block in the backward pass instead of storing its activations. */
  gradientCheckpointing: boolean;
  /** The output projection (and, when tied, the token embedding). */
  readonly lmHead: LMHead;
  /** Runs the model on inputIds [batch, T]; see {@link ForwardOptions}. The caller disposes the outputs. */
  forward(inputIds: tf.Tensor2D | number[][], options?: ForwardOptions): ForwardOutput;
  /** An empty KV cache for `batch` rows and up to `maxLen` positions. The caller disposes it. */
  createCache(batch: number, maxLen: number): KVCache;
  /** Every projection (dense, quantized or LoRA-wrapped) by its module path, in model order. */
  linearLayers(): Map<string, Conv1DLayer>;
  /** The trainable variables in model order (per block, per projection, A before B). */
  trainableVariables(): tf.Variable[];
  /** Bytes held on the backend by all weights. */
  weightBytes(): number;
  /** Host copies of every tensor that is not a projection, under the checkpoint's names. */
  hostTensors(): Map<string, HostTensor>;
  /** Frees every tensor and layer. */
  dispose(): void;
}

/** HF generate's position ids: cumsum(mask) − 1 clamped at 0, for the last T of the mask's positions. */
export function positionsFromMask(mask: ArrayLike<number>[], T: number): number[][] {
  return mask.map((row) => {
    const out: number[] = [];
    let count = 0;
    for (let j = 0; j < row.length; j++) {
      count += row[j] !== 0 ? 1 : 0;
      if (j >= row.length - T) out.push(Math.max(count - 1, 0));
    }
    return out;
  });
}

/** The checked host form of a forward call's inputs. */
export interface ForwardInputs {
  ids: number[][];
  mask: number[][];
  positions: number[][];
  past: number;
}

/**
 * Reads and validates a forward call's ids, mask and positions against `dims` and the cache.
 * @param where the method named in errors (e.g. `GPT2Model.forward`).
 * @param makeError the architecture's input error class.
 */
export function forwardInputs(
  dims: TransformerDims,
  inputIds: tf.Tensor2D | number[][],
  options: ForwardOptions,
  where: string,
  makeError: new (message: string) => Error,
): ForwardInputs {
  const toRows = (x: tf.Tensor2D | number[][], what: string): number[][] => {
    const rows = Array.isArray(x) ? x : (x.arraySync() as number[][]);
    if (rows.length === 0) throw new makeError(`${where}: ${what} has no rows.`);
    return rows;
  };
  const ids = toRows(inputIds, 'inputIds');
  const cache = options.pastKeyValues;
  const past = cache?.length ?? 0;
  const T = ids[0].length;
  const mask = options.attentionMask ? toRows(options.attentionMask, 'attentionMask') : ids.map(() => new Array<number>(past + T).fill(1));
  const positions = options.positionIds ? toRows(options.positionIds, 'positionIds') : positionsFromMask(mask, T);
  const { vocabSize, maxPositions } = dims;
  if (T === 0) throw new makeError(`${where}: inputIds has no columns (T = 0).`);
  ids.forEach((row, b) => {
    if (row.length !== T) throw new makeError(`${where}: inputIds row ${b} has length ${row.length}, expected ${T}.`);
    for (const id of row) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
        throw new makeError(`${where}: inputIds row ${b} holds ${id}, outside the vocabulary [0, ${vocabSize}).`);
      }
    }
  });
  if (mask.length !== ids.length || mask.some((r) => r.length !== past + T)) {
    throw new makeError(`${where}: attentionMask must be [${ids.length}, ${past + T}] (batch × past+T).`);
  }
  if (positions.length !== ids.length || positions.some((r) => r.length !== T || r.some((p) => p < 0 || p >= maxPositions))) {
    throw new makeError(`${where}: positionIds must be [${ids.length}, ${T}] with values in [0, ${maxPositions}).`);
  }
  if (cache && cache.batch !== ids.length) {
    throw new makeError(`${where}: pastKeyValues was made for batch ${cache.batch}, inputIds has ${ids.length} rows.`);
  }
  return { ids, mask, positions, past };
}

/**
 * A forward pass's outputs from the final hidden states h [B·T, C] (after the final norm): hidden
 * [B, T, C] and the logits `mode` asks for — every position, or only the last (decoding). Runs in
 * the caller's tidy; the caller owns the tensors.
 */
export function forwardOutputs(h: tf.Tensor2D, B: number, T: number, lmHead: LMHead, mode: ForwardOptions['logits'] = 'all'): ForwardOutput {
  const C = h.shape[1];
  const V = lmHead.vocabSize;
  const out: ForwardOutput = { hidden: tf.reshape(h, [B, T, C]) };
  if (mode === 'all') out.logits = tf.reshape(lmHead.logits(h), [B, T, V]);
  if (mode === 'last') {
    const last: tf.Tensor2D = tf.reshape(tf.slice(out.hidden, [0, T - 1, 0], [B, 1, -1]), [B, C]);
    out.logits = tf.reshape(lmHead.logits(last), [B, 1, V]);
  }
  return out;
}

/** A host copy of a backend tensor (e.g. a norm weight for saving). */
export function hostCopy(t: tf.Tensor): HostTensor {
  return { shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) };
}

/** What an architecture's embeddings and blocks see of one forward pass. */
export interface ForwardStep {
  /** [B][T] token ids and their positions (validated). */
  ids: number[][];
  positions: number[][];
  B: number;
  T: number;
  /** [B, 1, T, S] additive causal + padding bias over the S key slots (the cache's capacity, or past + T). */
  bias: tf.Tensor4D;
  /** The cache this step writes into, inside its beginStep/endStep. */
  cache: KVCache | undefined;
  training: boolean;
}

/**
 * The frame every architecture's forward shares: the inputs checked, the KV cache step opened
 * around `stack` (embeddings and blocks → [B·T, C]) and closed even when it throws, the final norm,
 * then the logits `options.logits` asks for. The caller disposes the outputs.
 * @param where the method named in errors; `makeError` the architecture's input error class.
 */
export function runForward(
  model: Pick<CausalTransformer, 'dims' | 'lmHead'>,
  inputIds: tf.Tensor2D | number[][],
  options: ForwardOptions,
  where: string,
  makeError: new (message: string) => Error,
  stack: (step: ForwardStep) => tf.Tensor2D,
  finalNorm: (x: tf.Tensor2D) => tf.Tensor2D,
): ForwardOutput {
  const { ids, mask, positions, past } = forwardInputs(model.dims, inputIds, options, where, makeError);
  const B = ids.length;
  const T = ids[0].length;
  const cache = options.pastKeyValues;
  const training = options.training ?? false;
  const out = tf.tidy(() => {
    if (cache) cache.beginStep(T);
    let x: tf.Tensor2D;
    try {
      const bias = attentionBias(mask, past, T, cache ? cache.capacity : past + T);
      x = stack({ ids, positions, B, T, bias, cache, training });
    } finally {
      if (cache) cache.endStep();
    }
    return forwardOutputs(finalNorm(x), B, T, model.lmHead, options.logits) as unknown as tf.TensorContainerObject;
  }) as unknown as ForwardOutput;
  if (cache) out.pastKeyValues = cache;
  return out;
}
